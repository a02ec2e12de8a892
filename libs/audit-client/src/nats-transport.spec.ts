import { randomBytes } from 'node:crypto';
import { jetstreamManager, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import type { AuditEventInput } from '@audit/contracts';
import { AuditClient } from './audit-client';
import { AuditClientError } from './errors';
import { NatsTransport } from './nats-transport';

/**
 * Integration test against the real NATS server. It only ever touches its own
 * TEST_CLIENT_<random> stream, never the platform's AUDIT_* streams.
 */
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const suffix = randomBytes(5).toString('hex');
const STREAM = `TEST_CLIENT_${suffix}`;
const ORG = `testclient${suffix}`;

async function caught(p: Promise<unknown>): Promise<AuditClientError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AuditClientError);
    return err as AuditClientError;
  }
  throw new Error('expected a rejection');
}

describe('NatsTransport (real NATS JetStream)', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  /** `audit.ingest` unless a running platform's AUDIT_INGEST already captures `audit.ingest.>`. */
  let prefix = 'audit.ingest';
  let subject: string;

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL, name: 'audit-client-test', noAsyncTraces: true });
    jsm = await jetstreamManager(nc);
    // Streams may not overlap, and publishing under an existing AUDIT_INGEST
    // would feed the real ingest: fall back to a private prefix in that case.
    const owner = await jsm.streams.find(`audit.ingest.${ORG}`).catch(() => undefined);
    if (owner !== undefined) prefix = `test.auditclient${suffix}`;
    subject = `${prefix}.${ORG}`;
    await jsm.streams.add({
      name: STREAM,
      subjects: [subject],
      storage: StorageType.Memory,
      duplicate_window: nanos(120_000),
    });
  });

  afterAll(async () => {
    await jsm?.streams.delete(STREAM).catch(() => undefined);
    await nc?.close();
  });

  const batch = (n: number): AuditEventInput[] =>
    Array.from({ length: n }, (_, i) => ({
      organizationId: ORG,
      actionType: i % 2 === 0 ? 'LOGIN' : 'QUERY_RUN',
      userId: `user-${i}`,
      responseTimeMs: i,
      metadata: { i, query: 'select 1' },
    }));

  it('publishes each event as JSON to audit.ingest.<org> with Nats-Msg-Id = id, and dedups a resend', async () => {
    const transport = new NatsTransport(nc, { subjectPrefix: prefix });
    const client = new AuditClient(transport);
    const events = batch(50);
    const { ids } = await client.emitBatch(events);
    expect(ids).toHaveLength(50);

    const info = await jsm.streams.info(STREAM);
    expect(info.state.messages).toBe(50);
    const byId = new Map<string, Record<string, unknown>>();
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const msg = await jsm.streams.getMessage(STREAM, { seq });
      if (msg === null) throw new Error(`message ${seq} missing`);
      expect(msg.subject).toBe(subject);
      const body = msg.json<Record<string, unknown>>();
      expect(msg.header.get('Nats-Msg-Id')).toBe(`${ORG}:${body['id'] as string}`);
      byId.set(body['id'] as string, body);
    }
    expect([...byId.keys()].sort()).toEqual([...ids].sort());
    ids.forEach((id, i) => {
      const body = byId.get(id);
      expect(body).toMatchObject({ id, organizationId: ORG, userId: `user-${i}`, metadata: { i, query: 'select 1' } });
      expect(typeof body?.['createdAt']).toBe('string');
      expect(body).not.toHaveProperty('receivedAt');
      expect(body).not.toHaveProperty('schemaVersion');
    });

    // Same objects again: ids were written back, so the stream drops every resend.
    const again = await client.emitBatch(events);
    expect(again.ids).toEqual(ids);
    expect((await jsm.streams.info(STREAM)).state.messages).toBe(50);

    // Closing a transport built on a shared connection leaves that connection open.
    await client.close();
    expect(nc.isClosed()).toBe(false);
    expect((await caught(transport.send([]))).code).toBe('UNAVAILABLE');
  });

  it('connect() opens its own connection, and close() drains it', async () => {
    const transport = await NatsTransport.connect({ servers: NATS_URL, name: 'audit-client-test-own', subjectPrefix: prefix });
    const before = (await jsm.streams.info(STREAM)).state.messages;
    const client = new AuditClient(transport);
    await client.emit({ organizationId: ORG, actionType: 'LOGOUT', userId: 'u' });
    await client.close();
    expect((await jsm.streams.info(STREAM)).state.messages).toBe(before + 1);
    await transport.close(); // idempotent
  });

  it('reports UNAVAILABLE, with the failed ids, when no stream takes the subject', async () => {
    const transport = new NatsTransport(nc, { subjectPrefix: `test.nostream${suffix}`, timeoutMs: 1_000 });
    const client = new AuditClient(transport);
    const err = await caught(client.emitBatch(batch(3)));
    expect(err.code).toBe('UNAVAILABLE');
    expect((err.details as { failed: string[] }).failed.length).toBeGreaterThan(0);
  });

  it('refuses events whose organizationId is not a subject token even without validation', async () => {
    const client = new AuditClient(new NatsTransport(nc, { subjectPrefix: prefix }), { validate: false });
    const err = await caught(client.emit({ organizationId: 'a.>', actionType: 'LOGIN' }));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.details).toEqual([expect.objectContaining({ path: '[0].organizationId' })]);
  });

  it('connect() to an unreachable server fails with UNAVAILABLE', async () => {
    const err = await caught(NatsTransport.connect({ servers: 'nats://127.0.0.1:1', timeoutMs: 1_000 }));
    expect(err.code).toBe('UNAVAILABLE');
  });
});
