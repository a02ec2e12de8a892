import type { TestingModule } from '@nestjs/testing';
import { validateEvent } from '@audit/contracts';
import { DLQ_HEADERS, dlqSubject, ingestSubject, STREAMS } from '@audit/messaging';
import { RedactionRulesRepository } from '@audit/persistence';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { plantedPrototypeKey, readStream, waitFor, waitForConsumerIdle, type TestBus, type TestDatabase } from '@audit/testing';
import { startIngestPipeline, type IngestPipeline } from '@audit/testing-pipeline';
import { busEventId } from './bus-event-id';

jest.setTimeout(60_000);

const ORG = 'org_ingest';
const SUBJECT = ingestSubject(ORG);

interface Row {
  id: string;
  actionType: string;
  userId: string | null;
  queryName: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
  receivedAt: Date;
}

/**
 * Services publish raw events on `audit.ingest.<org>`. The ingest consumer validates and redacts them like
 * HTTP ingest, republishes them canonically (through the writer into Postgres), and dead-letters the rest.
 */
describe('ingest consumer: audit.ingest.<org> → AUDIT_EVENTS → Postgres', () => {
  let pipeline: IngestPipeline;
  let db: TestDatabase;
  let bus: TestBus;
  let app: TestingModule;

  beforeAll(async () => {
    pipeline = await startIngestPipeline('ingest_consumer', { HIDE_ALL_HEADERS_IN_AUDIT_LOG_EVENTS: 'true' });
    ({ db, bus, app } = pipeline);
  });

  afterAll(async () => {
    await pipeline?.close();
  });

  const publishRaw = async (payload: unknown, subject = SUBJECT): Promise<number> =>
    (await bus.js.publish(subject, typeof payload === 'string' || payload instanceof Uint8Array ? payload : JSON.stringify(payload))).seq;

  it('stores valid events redacted, dedups by id, and dead-letters invalid ones with the reason', async () => {
    await app.get(RedactionRulesRepository).hideParameters(ORG, 'getSecrets');

    const secretQuery = {
      id: '6f1c1b52-3f1e-4c8e-9a57-1d2f6d1b9a01',
      organizationId: ORG,
      actionType: 'QUERY_RUN',
      userId: 'user-1',
      user: { email: 'ada@example.com', userName: 'Ada' },
      queryName: 'getSecrets',
      metadata: { query: 'select * from secrets where ssn = {{ssn}}', parameters: { ssn: '123-45-6789' }, headers: { authorization: 'Bearer s3cr3t' } },
      createdAt: '2026-02-03T04:05:06.007Z',
    };
    const plainQuery = {
      id: '6f1c1b52-3f1e-4c8e-9a57-1d2f6d1b9a02',
      organizationId: ORG,
      actionType: 'QUERY_RUN',
      userId: 'user-1',
      queryName: 'listUsers',
      metadata: { query: 'select * from users', parameters: { limit: 10 }, headers: { cookie: 'session=abc' } },
      createdAt: '2026-02-03T04:05:07.000Z',
    };
    const withoutId = { organizationId: ORG, actionType: 'LOGIN', userId: 'user-2', user: { email: 'bob@example.com', userName: 'Bob' } };
    // Refused, so never redacted: its headers must not reach the dead letter either.
    const invalid = { organizationId: ORG, actionType: 'DANCE', ipAddress: '999.1.1.1', metadata: { headers: { authorization: 'Bearer dlq-secret' } } };
    const foreign = { organizationId: 'org_other', actionType: 'LOGIN' };

    await publishRaw(secretQuery);
    await publishRaw(plainQuery);
    const withoutIdSeq = await publishRaw(withoutId);
    const invalidSeq = await publishRaw(invalid);
    const foreignSeq = await publishRaw(foreign);
    const notJsonSeq = await publishRaw('{"organizationId":');
    // A byte that is not UTF-8 (0xFF) inside a string: refused, never stored as U+FFFD.
    const prefix = Buffer.from(`{"organizationId":"${ORG}","actionType":"LOGIN","pageName":"`);
    const notUtf8Seq = await publishRaw(Buffer.concat([prefix, Buffer.from([0xff]), Buffer.from('"}')]));
    // The same raw event again (no Nats-Msg-Id, so the ingest stream keeps both): its id makes it one event.
    await publishRaw(secretQuery);

    // AUDIT_INGEST is a work queue: a raw message leaves it once ingest acked (republished) or terminated
    // (dead-lettered) it. Then the writer has everything ingest republished.
    await waitForConsumerIdle(bus.jsm, STREAMS.ingest, 'ingest');
    expect((await bus.jsm.streams.info(STREAMS.ingest)).state.messages).toBe(0);
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer');
    const dead = await waitFor('the four invalid messages to be dead-lettered', async () => {
      const found = await readStream(bus.jsm, STREAMS.dlq);
      return found.length >= 4 ? found : undefined;
    });
    const rows = await db.query<Row>(
      'SELECT id, "actionType", "userId", "queryName", metadata, "createdAt", "receivedAt" FROM audit_trail_events ORDER BY "createdAt"',
    );

    // Valid events: stored once each, with hidden data removed before it reached the bus.
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({
      id: secretQuery.id,
      actionType: 'QUERY_RUN',
      queryName: 'getSecrets',
      metadata: { query: secretQuery.metadata.query },
      createdAt: new Date(secretQuery.createdAt),
    });
    expect(rows[1]).toMatchObject({
      id: plainQuery.id,
      queryName: 'listUsers',
      metadata: { query: plainQuery.metadata.query, parameters: { limit: 10 } },
    });
    // No id from the emitter: a UUIDv7 derived from the bus message, stamped at the time it was published.
    const assigned = rows[2];
    expect(assigned).toMatchObject({ actionType: 'LOGIN', userId: 'user-2', metadata: {} });
    expect(assigned.createdAt).toEqual(assigned.receivedAt);
    expect(assigned.id).toBe(busEventId(assigned.receivedAt.getTime(), STREAMS.ingest, withoutIdSeq));

    const canonical = await readStream(bus.jsm, STREAMS.events);
    expect(canonical.map((m) => m.headers['Nats-Msg-Id']).sort()).toEqual([secretQuery.id, plainQuery.id, assigned.id].map((id) => `${ORG}:${id}`).sort());
    const onTheBus = canonical.map((m) => m.data).join('\n');
    for (const secret of ['123-45-6789', 'Bearer s3cr3t', 'session=abc']) expect(onTheBus).not.toContain(secret);

    const users = await db.query('SELECT id, email, "userName", "organizationId" FROM users ORDER BY id');
    expect(users).toEqual([
      { id: 'user-1', email: 'ada@example.com', userName: 'Ada', organizationId: ORG },
      { id: 'user-2', email: 'bob@example.com', userName: 'Bob', organizationId: ORG },
    ]);

    // Invalid ones: in AUDIT_DLQ under audit.dlq.ingest, with the validation errors as the reason.
    const expectedErrors = validateEvent(invalid, { now: new Date() });
    if (expectedErrors.ok) throw new Error('fixture should be invalid');
    const bySeq = new Map(dead.map((m) => [m.headers[DLQ_HEADERS.streamSequence], m]));
    expect(dead).toHaveLength(4);
    for (const message of dead) {
      expect(message.subject).toBe(dlqSubject('ingest'));
      expect(message.headers[DLQ_HEADERS.consumer]).toBe('ingest');
      expect(message.headers[DLQ_HEADERS.subject]).toBe(SUBJECT);
    }
    expect(bySeq.get(String(invalidSeq))?.headers[DLQ_HEADERS.reason]).toBe(`undecodable: invalid event: ${JSON.stringify(expectedErrors.errors)}`);
    expect(bySeq.get(String(invalidSeq))?.headers[DLQ_HEADERS.reason]).toContain('"path":"actionType"');
    expect(bySeq.get(String(invalidSeq))?.headers[DLQ_HEADERS.reason]).toContain('"path":"ipAddress"');
    expect(JSON.parse(bySeq.get(String(invalidSeq))?.data ?? 'null')).toEqual({ organizationId: ORG, actionType: 'DANCE', ipAddress: '999.1.1.1' });
    expect(dead.map((m) => m.data).join('\n')).not.toContain('dlq-secret');
    expect(bySeq.get(String(notJsonSeq))?.data).toBe('');
    expect(bySeq.get(String(foreignSeq))?.headers[DLQ_HEADERS.reason]).toBe(
      `undecodable: organizationId "org_other" does not match subject ${SUBJECT}`,
    );
    expect(bySeq.get(String(notJsonSeq))?.headers[DLQ_HEADERS.reason]).toBe('undecodable: payload is not JSON');
    expect(bySeq.get(String(notUtf8Seq))?.headers[DLQ_HEADERS.reason]).toBe('undecodable: payload is not valid UTF-8');
  });

  it('dead-letters an event whose metadata holds a prototype key at any depth, naming its path, and stores none of it, as the HTTP edge refuses it (property)', async () => {
    const stored = async (ids: string[]): Promise<string[]> =>
      (await db.query<{ id: string }>('SELECT id FROM audit_trail_events WHERE id = ANY($1::uuid[])', [ids])).map((r) => r.id);
    await fc.assert(
      fc.asyncProperty(
        // 50 levels under metadata.m: deeper, the depth limit (64) would speak first.
        fc.array(plantedPrototypeKey(50), { minLength: 1, maxLength: 6 }),
        async (plantings) => {
          // Fresh ids every run (fast-check's would repeat across runs and be deduplicated).
          const refused = plantings.map((planted) => ({ planted, id: randomUUID() }));
          const controlId = randomUUID();
          const seqs = new Map<string, (typeof refused)[number]['planted']>();
          for (const { planted, id } of refused) {
            seqs.set(String(await publishRaw({ id, organizationId: ORG, actionType: 'LOGIN', metadata: { m: planted.value } })), planted);
          }
          // A valid event beside them: the door is open, it refuses only these.
          await publishRaw({ id: controlId, organizationId: ORG, actionType: 'LOGIN', metadata: { m: 'fine' } });
          await waitForConsumerIdle(bus.jsm, STREAMS.ingest, 'ingest');
          await waitForConsumerIdle(bus.jsm, STREAMS.events, 'writer');
          const dead = (await readStream(bus.jsm, STREAMS.dlq)).filter((m) => seqs.has(m.headers[DLQ_HEADERS.streamSequence]));
          expect(dead).toHaveLength(refused.length);
          for (const message of dead) {
            const { path, key } = seqs.get(message.headers[DLQ_HEADERS.streamSequence]) as (typeof refused)[number]['planted'];
            const where = `metadata.m${path.startsWith('[') ? path : `.${path}`}`;
            expect(message.headers[DLQ_HEADERS.reason].startsWith('undecodable: invalid event: ')).toBe(true);
            expect(JSON.parse(message.headers[DLQ_HEADERS.reason].slice('undecodable: invalid event: '.length))).toEqual([
              { path: where, reason: expect.stringMatching(new RegExp(`^is a "${key}" key`)) as unknown },
            ]);
          }
          expect(await stored([controlId, ...refused.map((r) => r.id)])).toEqual([controlId]);
          const onTheBus = (await readStream(bus.jsm, STREAMS.events)).map((m) => (JSON.parse(m.data) as { id: string }).id);
          for (const { id } of refused) expect(onTheBus).not.toContain(id);
        },
      ),
      { numRuns: 5 },
    );
  });
});
