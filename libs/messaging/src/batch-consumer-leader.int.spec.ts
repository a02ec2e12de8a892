import { Inject, Injectable, Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import type { JsMsg } from '@nats-io/jetstream';
import type { Subscription } from '@nats-io/nats-core';
import { HealthModule, HealthRegistry, PlatformModule } from '@audit/platform';
import { bootModules, connectTestBus, jetStreamLeader, moveLeadersTo, startTestNatsCluster, waitFor, type TestBus, type TestNatsCluster } from '@audit/testing';
import { JetStreamBatchConsumer, type Delivery } from './batch-consumer';
import { MESSAGING_CONFIG, type MessagingConfig } from './config';
import { JetStreamConnection } from './jetstream.connection';
import { MessagingModule } from './messaging.module';
import { STREAMS } from '@audit/bus-topology';

jest.setTimeout(120_000);

const DURABLE = 'leader-probe';

@Injectable()
class LeaderProbe extends JetStreamBatchConsumer<string> {
  readonly done: string[] = [];

  constructor(bus: JetStreamConnection, @Inject(MESSAGING_CONFIG) messaging: MessagingConfig, health: HealthRegistry) {
    super(bus, messaging, health, {
      durable: DURABLE,
      stream: STREAMS.events,
      filterSubject: 'audit.events.leader.>',
      maxBatchMessages: 10,
      maxBatchBytes: 1 << 20,
      flushIntervalMs: 5,
    });
  }

  protected decode(message: JsMsg): string {
    return message.string();
  }

  protected handleBatch(batch: ReadonlyArray<Delivery<string>>): Promise<void> {
    for (const { payload } of batch) this.done.push(payload);
    return Promise.resolve();
  }
}

@Module({ imports: [HealthModule, MessagingModule], providers: [LeaderProbe] })
class ProbeModule {}

/**
 * A pull request lives at the JetStream leader of its consumer. When that leader moves (a step-down, a
 * node lost), the pull is gone without a word, and the client learns it only from missing heartbeats or
 * the pull's expiry: with nats.js defaults (30 s expiry, 15 s heartbeats) the consumer stalled ~30 s.
 */
describe('JetStreamBatchConsumer on a 3-node cluster whose leaders move', () => {
  let cluster: TestNatsCluster;
  let bus: TestBus;
  let app: TestingModule;
  let probe: LeaderProbe;

  beforeAll(async () => {
    cluster = await startTestNatsCluster(3);
    app = await bootModules([PlatformModule, MessagingModule, ProbeModule], { NATS_URL: cluster.node('n1').url, STREAM_REPLICAS: '3' });
    probe = app.get(LeaderProbe);
    bus = await connectTestBus(cluster.node('n1').url);
  });

  afterAll(async () => {
    await app?.close();
    await bus?.close();
    await cluster?.destroy();
  });

  const publish = async (payloads: string[]): Promise<void> => {
    for (const p of payloads) await bus.js.publish('audit.events.leader.LOGIN', p);
  };

  it('pulls with a short expiry and asks for a heartbeat every second, so a lost pull is noticed within seconds', async () => {
    const requests: Array<{ expires?: number; idle_heartbeat?: number }> = [];
    const sub: Subscription = bus.nc.subscribe(`$JS.API.CONSUMER.MSG.NEXT.${STREAMS.events}.${DURABLE}`, {
      callback: (_, msg) => {
        requests.push(msg.json());
      },
    });
    // Taking messages makes the consumer ask for more: enough to go under its refill threshold.
    await publish(Array.from({ length: 30 }, (_, i) => `pull-${i}`));
    await waitFor('a pull request of the consumer', () => requests.length > 0);
    sub.unsubscribe();
    // Nanoseconds, as the server reads them.
    expect(requests[0].expires).toBeLessThanOrEqual(5_000_000_000);
    expect(requests[0].idle_heartbeat).toBeLessThanOrEqual(1_000_000_000);
  });

  it('goes on consuming after the leaders of its stream and itself stepped down', async () => {
    await moveLeadersTo(bus.nc, bus.jsm, 'n2', STREAMS.events, [DURABLE]);
    await waitFor('the consumer to take what was published before', () => probe.done.length >= 30);
    const started = Date.now();
    await bus.nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${STREAMS.events}`, undefined, { timeout: 5_000 });
    await bus.nc.request(`$JS.API.CONSUMER.LEADER.STEPDOWN.${STREAMS.events}.${DURABLE}`, undefined, { timeout: 5_000 });
    await waitFor('a new consumer leader', async () => ((await jetStreamLeader(bus.jsm, STREAMS.events, DURABLE).catch(() => 'n2')) ?? 'n2') !== 'n2');
    await waitFor('the stream to accept again', async () => {
      await publish(['after-stepdown']);
      return true;
    });
    // A liveness bound, not a speed check: the stall it guards against lasted a whole 30 s pull expiry.
    await waitFor('the message published after the step-down to be consumed', () => probe.done.includes('after-stepdown'), 15_000, 50);
    console.log(`[leader move] consumed ${((Date.now() - started) / 1000).toFixed(1)} s after the step-down`);
  });

  it('goes on consuming after the node leading its stream and itself is lost', async () => {
    const victim = 'n3';
    await moveLeadersTo(bus.nc, bus.jsm, victim, STREAMS.events, [DURABLE]);
    const started = Date.now();
    await cluster.node(victim).kill();
    const elected = waitFor('a new consumer leader', async () => {
      const leader = await jetStreamLeader(bus.jsm, STREAMS.events, DURABLE).catch(() => victim);
      return leader !== undefined && leader !== victim ? Date.now() : undefined;
    }, 30_000, 100);
    await waitFor('the stream to accept again', async () => {
      await publish(['after-node-loss']);
      return true;
    }, 30_000, 100);
    const accepted = Date.now();
    // A liveness bound: the server elects new leaders within seconds, and the consumer must follow them.
    await waitFor('the message published after the node loss to be consumed', () => probe.done.includes('after-node-loss'), 20_000, 50);
    const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      `[leader move] node lost: the stream accepted again after ${s(accepted - started)}, a consumer leader was elected after ` +
        `${s((await elected) - started)}, the message was consumed after ${s(Date.now() - started)}`,
    );
    await cluster.node(victim).start();
  });
});
