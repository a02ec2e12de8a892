import type { AuditEvent, ConsistencyProofBody, EventProof, LogCheckpoint, LogCheckpointPage, LogKeys } from '@audit/contracts';
import { TokensService } from '@audit/auth';
import { eventsSubject } from '@audit/messaging';
import { buildOpenApiDocument } from '@audit/platform';
import {
  answerDepartures,
  canonicalEvent,
  STACK_JWT_SECRET,
  startServiceStores,
  waitFor,
  type RunningService,
  type ServiceStores,
  type TestBus,
  type TestDatabase,
} from '@audit/testing';
import {
  generateNoteKey,
  leafHash,
  openCheckpoint,
  parseLeafBytes,
  parseVerifierKey,
  verifyConsistency,
  verifyEventLeaf,
  verifyInclusion,
  type NoteVerifier,
} from '@audit/transparency';

jest.setTimeout(120_000);

const ORG = 'org-log';
const OTHER = 'org-log-other';
const EMPTY = 'org-log-empty';

/**
 * The log API of the query app, over the log a sealer app builds (both as their own processes, on one
 * Postgres and one bus): a proof it serves verifies, with the transparency library alone, against the
 * signed checkpoint it comes with and the key listed by /v1/log/keys; every bad parameter is a 400 naming it.
 * Reads are not recorded here (AUDIT_READS=false), so the tree sizes are the events published.
 */
describe('the log API (query app) over a sealed log (sealer app)', () => {
  let stores: ServiceStores;
  let db: TestDatabase;
  let bus: TestBus;
  let sealer: RunningService;
  let query: RunningService;
  const tokens = { admin: '', other: '', empty: '' };
  const doc = buildOpenApiDocument();
  const events: AuditEvent[] = [];

  const get = (pathAndQuery: string, token: string | null = tokens.admin): Promise<Response> =>
    fetch(`${query.url}${pathAndQuery}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  /** The body of a 200 answer, checked against the OpenAPI document's schema for its route. */
  const ok = async <T>(route: string, pathAndQuery: string): Promise<T> => {
    const res = await get(pathAndQuery);
    const body = (await res.json()) as T;
    expect({ status: res.status, body }).toMatchObject({ status: 200 });
    expect(answerDepartures(doc, route, 200, body)).toEqual([]);
    return body;
  };

  /** A 400 whose details name exactly `paths`. */
  const refused = async (pathAndQuery: string, paths: string[]): Promise<void> => {
    const res = await get(pathAndQuery);
    const body = (await res.json()) as { error: { code: string; details?: Array<{ path: string }> } };
    expect({ url: pathAndQuery, status: res.status, code: body.error.code, paths: [...new Set(body.error.details?.map((d) => d.path))].sort() }).toEqual({
      url: pathAndQuery,
      status: 400,
      code: 'VALIDATION_FAILED',
      paths: [...paths].sort(),
    });
  };

  const publish = async (org: string, count: number): Promise<AuditEvent[]> => {
    const batch = Array.from({ length: count }, (_, i) =>
      canonicalEvent({
        organizationId: org,
        actionType: i % 2 === 0 ? 'QUERY_RUN' : 'LOGIN',
        userId: `u-${i}`,
        user: i % 3 === 0 ? null : { email: `u${i}@example.com`, userName: `User ${i}` },
        ipAddress: '203.0.113.7',
        queryName: i % 2 === 0 ? 'getOrders' : null,
        metadata: { query: `select ${i}`, parameters: { id: i, list: [1.5, 'two', null] } },
      }),
    );
    for (const e of batch) await bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id });
    if (org === ORG) events.push(...batch);
    return batch;
  };

  const checkpointOfSize = (size: number): Promise<LogCheckpoint> =>
    waitFor(`a checkpoint of ${size} leaves`, async () => {
      const res = await get('/v1/log/checkpoint');
      if (res.status !== 200) return undefined;
      const body = (await res.json()) as LogCheckpoint;
      return body.treeSize === size ? body : undefined;
    }, 30_000);

  const verifiers = async (): Promise<NoteVerifier[]> => (await ok<LogKeys>('get /v1/log/keys', '/v1/log/keys')).items.map((k) => parseVerifierKey(k.key));

  /** Checks a proof with the library alone: the note's signature, its root, the inclusion path, the leaf against the event. */
  const verifyProof = (proof: EventProof, keys: NoteVerifier[], event: AuditEvent): void => {
    const { checkpoint } = openCheckpoint(proof.checkpoint.note, keys);
    expect(checkpoint).toMatchObject({ origin: `audit-trail/log/${ORG}`, size: proof.treeSize });
    expect(checkpoint.rootHash.toString('base64')).toBe(proof.checkpoint.rootHash);
    const leaf = Buffer.from(proof.leaf, 'base64');
    verifyInclusion(proof.leafIndex, proof.treeSize, leafHash(leaf), proof.inclusionProof.map((h) => Buffer.from(h, 'base64')), checkpoint.rootHash);
    const sealed = parseLeafBytes(leaf);
    expect(sealed.commitment).toBe(proof.commitment);
    expect(verifyEventLeaf({ ...event, user: proof.user, commitment: proof.commitment, salt: proof.salt }, sealed)).toEqual({ status: 'verified' });
  };

  beforeAll(async () => {
    stores = await startServiceStores('audit_log_api');
    ({ db, bus } = stores);
    query = await stores.start('query', { AUDIT_READS: 'false' });
    const signer = new TokensService({ jwtSecret: new TextEncoder().encode(STACK_JWT_SECRET), keyCacheMs: 0, maxTokenLifetimeSeconds: 86_400 });
    tokens.admin = await signer.sign({ organizationId: ORG, role: 'admin', userId: 'admin-1' }, 3600);
    tokens.other = await signer.sign({ organizationId: OTHER, role: 'admin' }, 3600);
    tokens.empty = await signer.sign({ organizationId: EMPTY, role: 'admin' }, 3600);
    // On the bus before the sealer starts, so its first batch, and first checkpoint, holds all 7.
    await publish(ORG, 7);
    await publish(OTHER, 3);
    sealer = await stores.start('sealer', { SEAL_INTERVAL: '300ms', SEAL_PRIVATE_KEY: generateNoteKey('audit.test').signerKey });
    await checkpointOfSize(7);
  }, 120_000);

  afterAll(async () => {
    expect(await query?.stop()).toBe(0);
    expect(await sealer?.stop()).toBe(0);
    await stores?.close();
  });

  it('serves, for every event, a proof that verifies against the signed checkpoint with the listed key', async () => {
    const keys = await verifiers();
    expect(keys).toHaveLength(1);
    const indices: number[] = [];
    for (const event of events) {
      const proof = await ok<EventProof>('get /v1/events/{id}/proof', `/v1/events/${event.id}/proof`);
      expect(proof).toMatchObject({ eventId: event.id, treeSize: 7 });
      verifyProof(proof, keys, event);
      indices.push(proof.leafIndex);
    }
    expect(indices.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('proves old events against an older checkpoint and the newer tree consistent with it', async () => {
    const later = await publish(ORG, 5);
    const latest = await checkpointOfSize(12);
    const keys = await verifiers();
    const page = await ok<LogCheckpointPage>('get /v1/log/checkpoints', '/v1/log/checkpoints');
    // 7 first, 12 last; a checkpoint may have been signed while the 5 were still arriving.
    const sizes = page.items.map((c) => c.treeSize);
    expect({ first: sizes[0], last: sizes[sizes.length - 1], growing: sizes.every((n, i) => i === 0 || n > sizes[i - 1]) }).toEqual({ first: 7, last: 12, growing: true });
    expect(page.items[page.items.length - 1]).toEqual(latest);

    const old = await ok<EventProof>('get /v1/events/{id}/proof', `/v1/events/${events[0].id}/proof?treeSize=7`);
    expect(old.checkpoint).toEqual(page.items[0]);
    verifyProof(old, keys, events[0]);
    verifyProof(await ok<EventProof>('get /v1/events/{id}/proof', `/v1/events/${later[4].id}/proof`), keys, later[4]);

    const consistency = await ok<ConsistencyProofBody>('get /v1/log/consistency', '/v1/log/consistency?first=7&second=12');
    const [first, second] = [page.items[0], latest].map((c) => openCheckpoint(c.note, keys).checkpoint.rootHash);
    verifyConsistency(7, 12, first, second, consistency.proof.map((h) => Buffer.from(h, 'base64')));
    expect(() => verifyConsistency(7, 12, second, first, consistency.proof.map((h) => Buffer.from(h, 'base64')))).toThrow();

    // A window that ends before the latest, and a page of one that says where the rest begins.
    const earlier = await ok<LogCheckpointPage>('get /v1/log/checkpoints', `/v1/log/checkpoints?to=${encodeURIComponent(latest.signedAt)}`);
    expect(earlier.items).toEqual(page.items.slice(0, -1));
    const paged = await ok<LogCheckpointPage>('get /v1/log/checkpoints', '/v1/log/checkpoints?limit=1');
    expect(paged).toEqual({ items: [page.items[0]], nextFrom: page.items[1].signedAt });
    const rest = await ok<LogCheckpointPage>('get /v1/log/checkpoints', `/v1/log/checkpoints?from=${encodeURIComponent(paged.nextFrom as string)}`);
    expect(rest.items).toEqual(page.items.slice(1));
  });

  it('refuses each bad parameter with a 400 naming it', async () => {
    const id = events[0].id;
    const late = events[events.length - 1].id; // leaf index ≥ 7
    await refused('/v1/events/not-a-uuid/proof', ['id']);
    await refused(`/v1/events/${id}/proof?treeSize=abc`, ['treeSize']);
    await refused(`/v1/events/${id}/proof?treeSize=-1`, ['treeSize']);
    await refused(`/v1/events/${id}/proof?treeSize=07`, ['treeSize']);
    await refused(`/v1/events/${id}/proof?treeSize=0`, ['treeSize']);
    await refused(`/v1/events/${id}/proof?treeSize=7&treeSize=12`, ['treeSize']);
    await refused(`/v1/events/${id}/proof?treeSize=13`, ['treeSize']); // beyond the latest checkpoint
    await refused(`/v1/events/${id}/proof?treeSize=99999999999999999999`, ['treeSize']);
    const sizes = (await ok<LogCheckpointPage>('get /v1/log/checkpoints', '/v1/log/checkpoints')).items.map((c) => c.treeSize);
    const notCheckpointed = [8, 9, 10, 11].find((n) => !sizes.includes(n)) as number;
    await refused(`/v1/events/${id}/proof?treeSize=${notCheckpointed}`, ['treeSize']); // not a checkpoint's size
    await refused(`/v1/events/${late}/proof?treeSize=7`, ['treeSize']); // sealed after that checkpoint
    await refused(`/v1/events/${id}/proof?size=7`, ['size']);
    await refused('/v1/events/not-a-uuid/proof?treeSize=x', ['id', 'treeSize']);
    await refused('/v1/log/consistency', ['first', 'second']);
    await refused('/v1/log/consistency?first=1', ['second']);
    await refused('/v1/log/consistency?first=x&second=1.5', ['first', 'second']);
    await refused('/v1/log/consistency?first=7&second=13', ['second']);
    await refused('/v1/log/consistency?first=12&second=7', ['first']);
    await refused('/v1/log/checkpoints?limit=0', ['limit']);
    await refused('/v1/log/checkpoints?from=yesterday', ['from']);
    await refused('/v1/log/checkpoints?from=2026-02-01&to=2026-01-01', ['from']);
    await refused('/v1/log/checkpoint?x=1', ['x']);
    await refused('/v1/log/keys?x=1', ['x']);
  });

  it("keeps each organization to its own log: another's event is 404, a log without checkpoints 404, no token 401", async () => {
    const [theirs] = await db.query<{ eventId: string }>(`SELECT "eventId" FROM log_leaves WHERE "organizationId" = $1 LIMIT 1`, [OTHER]);
    expect((await get(`/v1/events/${theirs.eventId}/proof`)).status).toBe(404);
    expect((await get(`/v1/events/${theirs.eventId}/proof`, tokens.other)).status).toBe(200);
    expect((await get(`/v1/events/${events[0].id}/proof`, tokens.other)).status).toBe(404);
    expect((await get('/v1/events/00000000-0000-4000-8000-000000000000/proof')).status).toBe(404);
    for (const url of ['/v1/log/checkpoint', '/v1/log/consistency?first=0&second=0']) expect((await get(url, tokens.empty)).status).toBe(404);
    expect(await (await get('/v1/log/checkpoints', tokens.empty)).json()).toEqual({ items: [] });
    expect((await get('/v1/log/checkpoint', null)).status).toBe(401);
    const other = (await (await get('/v1/log/checkpoint', tokens.other)).json()) as LogCheckpoint;
    expect(other.treeSize).toBe(3);
    expect(other.note.startsWith(`audit-trail/log/${OTHER}\n3\n`)).toBe(true);
  });
});
