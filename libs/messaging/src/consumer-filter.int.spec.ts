import { Inject, Injectable, Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { AckPolicy, DeliverPolicy, type JsMsg } from '@nats-io/jetstream';
import { HealthModule, HealthRegistry, PlatformModule } from '@audit/platform';
import { bootModules, connectTestBus, startTestNats, waitFor, type TestBus, type TestNats } from '@audit/testing';
import { JetStreamBatchConsumer, type Delivery } from './batch-consumer';
import { MESSAGING_CONFIG, type MessagingConfig } from './config';
import { JetStreamConnection } from './jetstream.connection';
import { MessagingModule } from './messaging.module';
import { provisionStreams, streamConfigs } from './streams';
import { readMessagingConfig } from './config';
import { STREAMS, SUBJECTS } from '@audit/bus-topology';

jest.setTimeout(60_000);

/** A consumer of every canonical event, as the writer, the projector and the sealer are. */
@Injectable()
class WholeStream extends JetStreamBatchConsumer<string> {
  readonly handled: string[] = [];

  constructor(bus: JetStreamConnection, @Inject(MESSAGING_CONFIG) messaging: MessagingConfig, health: HealthRegistry) {
    super(bus, messaging, health, { durable: 'whole', stream: STREAMS.events, filterSubject: SUBJECTS.eventsAll, maxBatchMessages: 10, maxBatchBytes: 1 << 20, flushIntervalMs: 50 });
  }

  protected decode(message: JsMsg): string {
    return message.string();
  }

  protected async handleBatch(batch: ReadonlyArray<Delivery<string>>): Promise<void> {
    for (const { payload } of batch) this.handled.push(payload);
  }
}

@Module({ imports: [HealthModule, MessagingModule], providers: [WholeStream] })
class WholeModule {}

describe('a durable consumer of a whole stream (real NATS)', () => {
  let nats: TestNats;
  let bus: TestBus;
  let app: TestingModule | undefined;

  beforeAll(async () => {
    nats = await startTestNats();
    bus = await connectTestBus(nats.url);
    await provisionStreams(bus.jsm, readMessagingConfig({ NATS_URL: nats.url }));
  });

  afterAll(async () => {
    await app?.close();
    await bus.close();
    await nats.destroy();
  });

  it('reads it unfiltered (nats-server counts a filtered one by walking the stream), and an older filtered durable keeps its place', async () => {
    // As an older version left it: filtered on everything the stream captures, two of five messages acked.
    await bus.jsm.consumers.add(STREAMS.events, { durable_name: 'whole', filter_subject: SUBJECTS.eventsAll, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All });
    for (let i = 1; i <= 5; i++) await bus.js.publish(`audit.events.org${i % 2}.X`, `m${i}`);
    const first = await (await bus.js.consumers.get(STREAMS.events, 'whole')).fetch({ max_messages: 2, expires: 2_000 });
    for await (const message of first) message.ack();
    await waitFor('the two acks', async () => ((await bus.jsm.consumers.info(STREAMS.events, 'whole')).ack_floor.stream_seq === 2 ? true : undefined), 5_000);

    app = await bootModules([PlatformModule, MessagingModule, WholeModule], { NATS_URL: nats.url });
    const consumer = app.get(WholeStream);
    await waitFor('the three others', () => (consumer.handled.length >= 3 ? true : undefined), 20_000);
    const info = await bus.jsm.consumers.info(STREAMS.events, 'whole');
    expect(info.config.filter_subject ?? '').toBe('');
    expect(consumer.handled.sort()).toEqual(['m3', 'm4', 'm5']);
    // Every message of the stream's subjects is still read: a new one on another organization's subject too.
    await bus.js.publish('audit.events.other.Y', 'm6');
    await waitFor('the new one', () => (consumer.handled.includes('m6') ? true : undefined), 10_000);
    expect(consumer.handled).toHaveLength(4);
    expect(streamConfigs(readMessagingConfig({ NATS_URL: nats.url })).find((s) => s.name === STREAMS.events)?.subjects).toEqual([SUBJECTS.eventsAll]);
  });
});
