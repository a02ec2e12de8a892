import { isUuid, type AuditEventInput } from '@audit/contracts';
import { AuditClient } from './audit-client';
import { AuditClientError } from './errors';
import type { AuditEventWithId, AuditTransport } from './transport';

/** Records every batch it is given; can be told to fail the next sends. */
class RecordingTransport implements AuditTransport {
  readonly batches: AuditEventWithId[][] = [];
  closed = 0;
  failNext = 0;
  failWith: unknown = new AuditClientError('UNAVAILABLE', 'bus down');

  async send(events: AuditEventWithId[]): Promise<void> {
    // Snapshot through JSON, as a real transport would serialize.
    this.batches.push(JSON.parse(JSON.stringify(events)) as AuditEventWithId[]);
    if (this.failNext > 0) {
      this.failNext--;
      throw this.failWith;
    }
  }

  async close(): Promise<void> {
    this.closed++;
  }

  get sent(): AuditEventWithId[] {
    return this.batches.flat();
  }
}

const event = (extra: Partial<AuditEventInput> = {}): AuditEventInput => ({
  organizationId: 'acme',
  actionType: 'LOGIN',
  userId: 'user-1',
  ...extra,
});

async function caught(p: Promise<unknown>): Promise<AuditClientError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AuditClientError);
    return err as AuditClientError;
  }
  throw new Error('expected a rejection');
}

describe('AuditClient', () => {
  let transport: RecordingTransport;
  let client: AuditClient;

  beforeEach(() => {
    transport = new RecordingTransport();
    client = new AuditClient(transport);
  });

  it('assigns a UUIDv7 id and createdAt, and returns the id', async () => {
    const before = Date.now();
    const { id } = await client.emit(event());
    const [sent] = transport.sent;
    expect(isUuid(id)).toBe(true);
    expect(id[14]).toBe('7');
    expect(sent.id).toBe(id);
    expect(sent.organizationId).toBe('acme');
    expect(sent.actionType).toBe('LOGIN');
    const createdAt = Date.parse(sent.createdAt);
    expect(new Date(createdAt).toISOString()).toBe(sent.createdAt);
    expect(createdAt).toBeGreaterThanOrEqual(before - 1);
    expect(createdAt).toBeLessThanOrEqual(Date.now() + 1);
  });

  it('keeps a given id (lower-cased) and a given createdAt (Date or string)', async () => {
    const given = '0190A1B2-C3D4-4E5F-8A6B-7C8D9E0F1A2B';
    const when = new Date('2024-05-01T12:00:00.000Z');
    const { id } = await client.emit(event({ id: given, createdAt: when }));
    expect(id).toBe(given.toLowerCase());
    expect(transport.sent[0]).toMatchObject({ id: given.toLowerCase(), createdAt: '2024-05-01T12:00:00.000Z' });

    await client.emit(event({ createdAt: '2024-05-01T13:00:00+01:00' }));
    expect(transport.sent[1].createdAt).toBe('2024-05-01T13:00:00+01:00');
  });

  it('writes the assigned id and createdAt back, so retrying the same object reuses them', async () => {
    const ev = event();
    transport.failNext = 1;
    const err = await caught(client.emit(ev));
    expect(err.code).toBe('UNAVAILABLE');
    expect(isUuid(ev.id)).toBe(true);
    const { id } = await client.emit(ev);
    expect(id).toBe(ev.id);
    expect(transport.batches).toHaveLength(2);
    expect(transport.batches[1]).toEqual(transport.batches[0]);
  });

  it('does not write back into frozen input but still sends and returns the id', async () => {
    const ev = Object.freeze(event());
    const { id } = await client.emit(ev);
    expect(ev.id).toBeUndefined();
    expect(transport.sent[0].id).toBe(id);
  });

  it('never sends receivedAt or schemaVersion', async () => {
    const ev = { ...event(), receivedAt: new Date().toISOString(), schemaVersion: 1 } as AuditEventInput;
    await client.emit(ev);
    expect(transport.sent[0]).not.toHaveProperty('receivedAt');
    expect(transport.sent[0]).not.toHaveProperty('schemaVersion');
  });

  it('rejects an invalid event locally with the field paths, sending nothing', async () => {
    const err = await caught(
      client.emit(event({ ipAddress: 'not-an-ip', actionType: 'NOPE' as AuditEventInput['actionType'] })),
    );
    expect(err.code).toBe('VALIDATION_FAILED');
    const paths = (err.details as { path: string }[]).map((d) => d.path).sort();
    expect(paths).toEqual(['actionType', 'ipAddress']);
    expect(err.message).toContain('ipAddress');
    expect(transport.batches).toHaveLength(0);
  });

  it('reports every invalid item of a batch with indexed paths, sending nothing', async () => {
    const err = await caught(
      client.emitBatch([event(), event({ organizationId: 'a.b' }), event(), event({ responseTimeMs: -1 })]),
    );
    expect(err.code).toBe('VALIDATION_FAILED');
    expect((err.details as { path: string; index: number }[]).map((d) => [d.path, d.index])).toEqual([
      ['[1].organizationId', 1],
      ['[3].responseTimeMs', 3],
    ]);
    expect(transport.batches).toHaveLength(0);
  });

  it('sends invalid events when validation is off (the server decides)', async () => {
    const lax = new AuditClient(transport, { validate: false });
    const { id } = await lax.emit(event({ ipAddress: 'not-an-ip' }));
    expect(transport.sent[0]).toMatchObject({ id, ipAddress: 'not-an-ip' });
  });

  it('sends a batch in one call and returns the ids in order', async () => {
    const { ids } = await client.emitBatch([event({ userId: 'a' }), event({ userId: 'b' }), event({ userId: 'c' })]);
    expect(transport.batches).toHaveLength(1);
    expect(transport.sent.map((e) => e.userId)).toEqual(['a', 'b', 'c']);
    expect(transport.sent.map((e) => e.id)).toEqual(ids);
    expect(new Set(ids).size).toBe(3);
  });

  it('splits batches larger than 1000', async () => {
    const events = Array.from({ length: 2500 }, (_, i) => event({ userId: `u${i}` }));
    const { ids } = await client.emitBatch(events);
    expect(transport.batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(transport.sent.map((e) => e.id)).toEqual(ids);
    expect(transport.sent[1000].userId).toBe('u1000');
    expect(new Set(ids).size).toBe(2500);
  });

  it('numbers errors of a split batch by their position in the whole batch', async () => {
    const events = Array.from({ length: 1500 }, () => event());
    events[1200] = event({ ipAddress: 'bad' });
    const err = await caught(client.emitBatch(events));
    expect(err.details).toEqual([expect.objectContaining({ path: '[1200].ipAddress', index: 1200 })]);
    expect(transport.batches).toHaveLength(0);
  });

  it('rejects ids repeated within a batch and across chunks', async () => {
    const dup = '0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b';
    const events = Array.from({ length: 1200 }, () => event());
    events[3] = event({ id: dup });
    events[5] = event({ id: dup });
    events[1100] = event({ id: dup.toUpperCase() });
    const err = await caught(client.emitBatch(events));
    expect((err.details as { path: string; reason: string }[]).map((d) => `${d.path} ${d.reason}`)).toEqual([
      '[5].id duplicates the id of item 3',
      '[1100].id duplicates the id of item 3',
    ]);
  });

  it('sends nothing for an empty batch', async () => {
    await expect(client.emitBatch([])).resolves.toEqual({ ids: [] });
    expect(transport.batches).toHaveLength(0);
  });

  it('passes transport AuditClientErrors through and wraps other errors as UNAVAILABLE', async () => {
    transport.failNext = 1;
    transport.failWith = new AuditClientError('FORBIDDEN', 'nope', { status: 403 });
    expect((await caught(client.emit(event()))).code).toBe('FORBIDDEN');

    transport.failNext = 1;
    transport.failWith = new Error('socket hang up');
    const err = await caught(client.emit(event()));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.cause).toBe(transport.failWith);
  });

  it('close() closes the transport once and refuses later emits', async () => {
    await Promise.all([client.close(), client.close()]);
    expect(transport.closed).toBe(1);
    expect((await caught(client.emit(event()))).code).toBe('UNAVAILABLE');
  });

  it('close() waits for in-flight sends', async () => {
    let release!: () => void;
    const slow: AuditTransport = {
      send: () => new Promise<void>((resolve) => (release = resolve)),
      close: jest.fn(async () => undefined),
    };
    const c = new AuditClient(slow);
    const emitted = c.emit(event());
    const closed = c.close();
    await new Promise((r) => setImmediate(r));
    expect(slow.close).not.toHaveBeenCalled();
    release();
    await emitted;
    await closed;
    expect(slow.close).toHaveBeenCalledTimes(1);
  });
});
