import type { TestingModule } from '@nestjs/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { PermissionViolationError, type NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { createAuditClient } from '@audit/audit-client';
import { ClickHouseModule } from '@audit/clickhouse';
import type { NatsCredentials } from '@audit/embedded';
import {
  DLQ_HEADERS,
  dlqSubject,
  eventsSubject,
  ingestSubject,
  MessagingModule,
  provisionStreams,
  readMessagingConfig,
  STREAMS,
} from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { ProjectorModule } from '@audit/projector';
import {
  bootModules,
  canonicalEvent,
  connectTestBus,
  createTestDatabase,
  readStream,
  startTestNats,
  testClickHouseEnv,
  waitFor,
  type TestBus,
  type TestClickHouse,
  type TestDatabase,
  type TestNats,
} from '@audit/testing';
import { WriterModule } from '@audit/writer';

jest.setTimeout(90_000);

/** A connection as `credentials`, and the permission violations the server reports to it. */
async function connectAs(url: string, credentials: NatsCredentials): Promise<{ nc: NatsConnection; violations: PermissionViolationError[] }> {
  const nc = await connect({ servers: url, user: credentials.user, pass: credentials.password, inboxPrefix: credentials.inboxPrefix });
  const violations: PermissionViolationError[] = [];
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'error' && status.error instanceof PermissionViolationError) violations.push(status.error);
    }
  })();
  return { nc, violations };
}

const violation = (operation: string, subject: string) => expect.objectContaining({ operation, subject }) as PermissionViolationError;

/**
 * Item 4 of issue 14: nats-server refuses what a user may not do (an emitter forging canonical events or
 * writing another organization's raw events, a service touching streams), and what reaches AUDIT_EVENTS
 * anyway (here from the privileged test connection) is dead-lettered by the writer and the projector.
 * Ingest, the writer and the projector run as their own restricted users, so the genuine path works under them.
 */
describe('the bus is closed', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let ch: TestClickHouse;
  let bus: TestBus;
  let writer: TestingModule;
  let projector: TestingModule;
  const opened: NatsConnection[] = [];

  beforeAll(async () => {
    [db, nats] = await Promise.all([createTestDatabase('closed_bus'), startTestNats()]);
    ch = testClickHouseEnv();
    // The provisioner creates the streams; the services may only check them.
    bus = await connectTestBus(nats.url);
    await provisionStreams(bus.jsm, readMessagingConfig({ NATS_URL: nats.url }));
    const common = { DATABASE_URL: db.url, NATS_PROVISION_STREAMS: 'false', LOG_LEVEL: 'error' };
    writer = await bootModules([PlatformModule, MessagingModule, PersistenceModule, WriterModule], {
      ...common,
      ...nats.env('writer'),
      WRITER_FLUSH_INTERVAL: '50ms',
    });
    projector = await bootModules([PlatformModule, MessagingModule, PersistenceModule, ClickHouseModule, ProjectorModule], {
      ...common,
      ...nats.env('projector'),
      ...ch.env,
      PROJECTOR_FLUSH_INTERVAL: '50ms',
    });
  });

  afterAll(async () => {
    for (const nc of opened) await nc.close().catch(() => undefined);
    await projector?.close();
    await writer?.close();
    await bus?.close();
    await nats?.destroy();
    await ch?.drop();
    await db?.drop();
  });

  it("refuses an emitter's publish to audit.events.<org>.<TYPE>, to another organization's ingest subject, and to other clients' inboxes", async () => {
    const acme = await nats.emitter('acme');
    const { nc, violations } = await connectAs(nats.url, acme);
    opened.push(nc);
    const forged = canonicalEvent({ organizationId: 'acme', actionType: 'LOGIN', userId: 'mallory' });

    nc.publish(eventsSubject('acme', 'LOGIN'), JSON.stringify(forged));
    await expect(jetstream(nc).publish(ingestSubject('globex'), JSON.stringify({ organizationId: 'globex', actionType: 'LOGIN' }))).rejects.toThrow();
    expect(() => nc.subscribe('_INBOX.>')).not.toThrow();
    await nc.flush();
    await waitFor('three permission violations', () => (violations.length >= 3 ? true : undefined));
    expect(violations).toEqual(
      expect.arrayContaining([
        violation('publish', eventsSubject('acme', 'LOGIN')),
        violation('publish', ingestSubject('globex')),
        violation('subscription', '_INBOX.>'),
      ]),
    );

    // What it may do: publish its own raw events, acked on its own inbox.
    const ack = await jetstream(nc).publish(ingestSubject('acme'), JSON.stringify({ organizationId: 'acme', actionType: 'LOGIN', userId: 'ann' }));
    expect(ack.stream).toBe(STREAMS.ingest);

    // Nothing of the forgery is on the canonical stream.
    expect((await readStream(bus.jsm, STREAMS.events)).filter((m) => m.data.includes('mallory'))).toEqual([]);
  });

  it('lets the client library emit as an emitter user, with its own inbox prefix', async () => {
    const acme = await nats.emitter('acme');
    const client = await createAuditClient({ natsUrl: nats.url, user: acme.user, password: acme.password, inboxPrefix: acme.inboxPrefix });
    await expect(client.emit({ organizationId: 'acme', actionType: 'LOGOUT', userId: 'ann' }).finally(() => client.close())).resolves.toMatchObject({
      id: expect.any(String) as string,
    });
  });

  it('refuses a service user that creates or deletes a stream, or publishes canonical events it does not own', async () => {
    const { nc, violations } = await connectAs(nats.url, nats.credentials('writer'));
    opened.push(nc);
    const jsm = await jetstreamManager(nc);
    await expect(jsm.streams.add({ name: 'FORGED', subjects: ['forged.>'] })).rejects.toThrow();
    await expect(jsm.streams.delete(STREAMS.events)).rejects.toThrow();
    nc.publish(eventsSubject('acme', 'LOGIN'), '{}');
    await nc.flush();
    await waitFor('three permission violations', () => (violations.length >= 3 ? true : undefined));
    expect(violations).toEqual(
      expect.arrayContaining([
        violation('publish', '$JS.API.STREAM.CREATE.FORGED'),
        violation('publish', `$JS.API.STREAM.DELETE.${STREAMS.events}`),
        violation('publish', eventsSubject('acme', 'LOGIN')),
      ]),
    );
    expect((await bus.jsm.streams.info(STREAMS.events)).config.name).toBe(STREAMS.events);
  });

  it('dead-letters, in the writer and the projector, a forged canonical event that reached the stream, with the reason', async () => {
    const genuine = canonicalEvent({ organizationId: 'acme', actionType: 'LOGIN', userId: 'genuine' });
    const forgeries = [
      // Another organization's event on an acme subject.
      { subject: eventsSubject('acme', 'LOGIN'), event: canonicalEvent({ organizationId: 'globex', actionType: 'LOGIN', userId: 'forged-1' }), reason: /does not match the event \(organizationId "globex"/ },
      // createdAt far in the future.
      { subject: eventsSubject('acme', 'LOGIN'), event: { ...canonicalEvent({ organizationId: 'acme', actionType: 'LOGIN', userId: 'forged-2' }), createdAt: '2200-01-01T00:00:00.000Z' }, reason: /createdAt must be at most 5 minutes in the future/ },
      // A page name no store should hold.
      { subject: eventsSubject('acme', 'PAGE_VIEW'), event: { ...canonicalEvent({ organizationId: 'acme', actionType: 'PAGE_VIEW', userId: 'forged-3' }), pageName: 'p'.repeat(100_000) }, reason: /pageName must be at most 1024 characters/ },
    ];
    const seqs: number[] = [];
    for (const { subject, event } of forgeries) seqs.push((await bus.js.publish(subject, JSON.stringify(event), { msgID: event.id })).seq);
    await bus.js.publish(eventsSubject('acme', 'LOGIN'), JSON.stringify(genuine), { msgID: genuine.id });

    await waitFor('the genuine event in Postgres and ClickHouse', async () => {
      const pg = await db.query('SELECT id FROM audit_trail_events WHERE id = $1', [genuine.id]);
      const rows = await ch.query<{ n: string }>('SELECT count() AS n FROM audit_events WHERE id = {id:UUID}', { id: genuine.id });
      return pg.length === 1 && Number(rows[0]?.n) === 1 ? true : undefined;
    });
    const dead = await waitFor('each forgery dead-lettered by both', async () => {
      const found = (await readStream(bus.jsm, STREAMS.dlq)).filter(
        (m) => [dlqSubject('writer'), dlqSubject('projector')].includes(m.subject) && seqs.includes(Number(m.headers[DLQ_HEADERS.streamSequence])),
      );
      return found.length >= 2 * forgeries.length ? found : undefined;
    });
    for (const consumer of ['writer', 'projector']) {
      const mine = dead.filter((m) => m.subject === dlqSubject(consumer));
      expect(mine).toHaveLength(forgeries.length);
      forgeries.forEach(({ reason }, i) => {
        const letter = mine.find((m) => Number(m.headers[DLQ_HEADERS.streamSequence]) === seqs[i]);
        expect(letter?.headers[DLQ_HEADERS.reason]).toMatch(reason);
      });
    }
    const forgedIds = forgeries.map(({ event }) => event.id);
    expect(await db.query('SELECT id FROM audit_trail_events WHERE id = ANY($1)', [forgedIds])).toEqual([]);
    expect(await ch.query('SELECT id FROM audit_events WHERE has({ids:Array(UUID)}, id)', { ids: forgedIds })).toEqual([]);
  });
});
