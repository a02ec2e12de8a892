import type { TestingModule } from '@nestjs/testing';
import { AckPolicy, DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { PlatformModule } from '@audit/platform';
import {
  bootModules,
  canonicalEvent,
  connectTestBus,
  readStream,
  startTestNats,
  waitFor,
  type TestBus,
  type TestNats,
} from '@audit/testing';
import { createServer } from 'node:net';
import { readMessagingConfig } from './config';
import { JetStreamConnection } from './jetstream.connection';
import { MessagingModule } from './messaging.module';
import { EventPublisher } from './publisher';
import { provisionStreams } from './streams';
import { eventsSubject, ingestSubject, STREAMS } from '@audit/bus-topology';

jest.setTimeout(60_000);

/** A port nothing listens on. */
const closedPort = (): Promise<number> =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });

const HOUR = 3_600_000;

describe('streams and the event publisher (real NATS)', () => {
  let nats: TestNats;
  let bus: TestBus;
  let app: TestingModule | undefined;

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await connectTestBus(nats.url);
  });

  afterAll(async () => {
    nats?.resume();
    await app?.close();
    await bus?.close();
    await nats?.destroy();
  });

  const config = (env: Record<string, string>) => readMessagingConfig({ NATS_URL: nats.url, ...env });

  it('provisions the four streams from configuration, idempotently, keeping their messages', async () => {
    const settings = config({ STREAM_MAX_AGE: '2h', STREAM_DEDUP_WINDOW: '90s', DLQ_MAX_AGE: '3d' });
    await provisionStreams(bus.jsm, settings);
    await bus.js.publish(eventsSubject('org_a', 'LOGIN'), '{}', { msgID: 'kept' });
    await provisionStreams(bus.jsm, settings);

    const names: string[] = [];
    for await (const name of bus.jsm.streams.names()) names.push(name);
    expect(names.sort()).toEqual([STREAMS.checkpoints, STREAMS.dlq, STREAMS.events, STREAMS.ingest]);

    const ingest = (await bus.jsm.streams.info(STREAMS.ingest)).config;
    expect(ingest).toMatchObject({
      subjects: ['audit.ingest.>'],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      duplicate_window: nanos(90_000),
      max_age: nanos(2 * HOUR),
    });
    const events = await bus.jsm.streams.info(STREAMS.events);
    expect(events.config).toMatchObject({
      subjects: ['audit.events.>'],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: nanos(90_000),
      max_age: nanos(2 * HOUR),
    });
    expect(events.state.messages).toBe(1);
    const dlq = (await bus.jsm.streams.info(STREAMS.dlq)).config;
    expect(dlq).toMatchObject({ subjects: ['audit.dlq.>'], retention: RetentionPolicy.Limits, max_age: nanos(72 * HOUR) });
    const checkpoints = (await bus.jsm.streams.info(STREAMS.checkpoints)).config;
    expect(checkpoints).toMatchObject({ subjects: ['audit.checkpoints.>'], retention: RetentionPolicy.Limits, duplicate_window: nanos(90_000), max_age: nanos(2 * HOUR) });
  });

  it('applies a changed max age and dedup window to existing streams', async () => {
    await provisionStreams(bus.jsm, config({ STREAM_MAX_AGE: '3h', STREAM_DEDUP_WINDOW: '2m' }));
    for (const name of [STREAMS.ingest, STREAMS.events, STREAMS.checkpoints]) {
      const info = await bus.jsm.streams.info(name);
      expect(info.config.max_age).toBe(nanos(3 * HOUR));
      expect(info.config.duplicate_window).toBe(nanos(120_000));
    }
    expect((await bus.jsm.streams.info(STREAMS.events)).state.messages).toBe(1);
  });

  it('AUDIT_INGEST is a work queue: an acknowledged message is gone', async () => {
    await bus.jsm.consumers.add(STREAMS.ingest, { durable_name: 'wq_probe', ack_policy: AckPolicy.Explicit });
    await bus.js.publish(ingestSubject('org_a'), '{"n":1}');
    expect((await bus.jsm.streams.info(STREAMS.ingest)).state.messages).toBe(1);
    const consumer = await bus.js.consumers.get(STREAMS.ingest, 'wq_probe');
    const message = await consumer.next({ expires: 5_000 });
    expect(message?.string()).toBe('{"n":1}');
    await message?.ackAck();
    await waitFor('the acknowledged message to leave the stream', async () => (await bus.jsm.streams.info(STREAMS.ingest)).state.messages === 0);
    await bus.jsm.consumers.delete(STREAMS.ingest, 'wq_probe');
  });

  describe('EventPublisher', () => {
    let publisher: EventPublisher;

    beforeAll(async () => {
      // The module provisions the streams itself at start, from the environment.
      app = await bootModules([PlatformModule, MessagingModule], { NATS_URL: nats.url, STREAM_MAX_AGE: '5h', STREAM_DEDUP_WINDOW: '10m' });
      publisher = app.get(EventPublisher);
    });

    it('connects through a NATS_URL list whose first server is down', async () => {
      const dead = `nats://127.0.0.1:${await closedPort()}`;
      const listed = await bootModules([PlatformModule, MessagingModule], { NATS_URL: `${dead},${nats.url}` });
      try {
        expect(listed.get(JetStreamConnection).isConnected()).toBe(true);
        expect(listed.get(JetStreamConnection).nc.getServer()).toBe(nats.url.replace('nats://', ''));
      } finally {
        await listed.close();
      }
    });

    it('provisioned the streams at start from STREAM_MAX_AGE and STREAM_DEDUP_WINDOW', async () => {
      const events = (await bus.jsm.streams.info(STREAMS.events)).config;
      expect(events.max_age).toBe(nanos(5 * HOUR));
      expect(events.duplicate_window).toBe(nanos(600_000));
    });

    it('publishes each event on audit.events.<org>.<ACTION_TYPE> and dedups by event id', async () => {
      await bus.jsm.streams.purge(STREAMS.events);
      const event = canonicalEvent({ organizationId: 'org_pub', actionType: 'QUERY_RUN', queryName: 'q', metadata: { query: 'select 1' } });
      const other = canonicalEvent({ organizationId: 'org_pub', actionType: 'LOGIN' });

      await publisher.publishEvents([event, event]);
      await publisher.publishEvents([event, other]);

      const stored = await readStream(bus.jsm, STREAMS.events);
      expect(stored.map((m) => ({ subject: m.subject, msgId: m.headers['Nats-Msg-Id'], event: JSON.parse(m.data) as unknown }))).toEqual([
        { subject: 'audit.events.org_pub.QUERY_RUN', msgId: `org_pub:${event.id}`, event },
        { subject: 'audit.events.org_pub.LOGIN', msgId: `org_pub:${other.id}`, event: other },
      ]);
    });

    it("keeps two organizations' events that carry the same id: an id is unique within its organization only", async () => {
      await bus.jsm.streams.purge(STREAMS.events);
      // Emitters choose their ids: another organization's emitter may send (or replay) the same one.
      const ours = canonicalEvent({ organizationId: 'org_pub', actionType: 'LOGIN' });
      const theirs = canonicalEvent({ id: ours.id, organizationId: 'org_other', actionType: 'LOGIN' });

      await publisher.publishEvents([ours]);
      await publisher.publishEvents([theirs, ours]);

      const stored = await readStream(bus.jsm, STREAMS.events);
      expect(stored.map((m) => ({ subject: m.subject, event: JSON.parse(m.data) as unknown }))).toEqual([
        { subject: 'audit.events.org_pub.LOGIN', event: ours },
        { subject: 'audit.events.org_other.LOGIN', event: theirs },
      ]);
    });

    it('fails with BUS_UNAVAILABLE when the bus does not acknowledge, and a retry with the same ids is safe', async () => {
      await bus.jsm.streams.purge(STREAMS.events);
      const event = canonicalEvent({ organizationId: 'org_pub', actionType: 'LOGOUT' });

      await nats.pause();
      try {
        await expect(publisher.publishEvents([event])).rejects.toMatchObject({ name: 'AppError', code: 'BUS_UNAVAILABLE' });
      } finally {
        nats.resume();
      }
      // The frozen server may still have stored the first attempt: the retry must not add a second copy.
      await publisher.publishEvents([event]);
      const stored = await readStream(bus.jsm, STREAMS.events);
      expect(stored.map((m) => m.headers['Nats-Msg-Id'])).toEqual([`org_pub:${event.id}`]);
    });
  });
});
