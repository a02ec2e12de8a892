/**
 * npm run bench:consumer-acks — what cumulative acknowledgement saves: a batch consumer
 * that decodes canonical events (as the streams do) and hands them to a handler that does nothing drains N
 * events (default 100,000) once with one ack per message (AckPolicy.Explicit) and once with one ack per batch
 * (AckPolicy.All, `ackAll`), ROUNDS times (default 3) alternating, on a NATS server of its own. It prints the
 * wall time, this process's CPU per event and nats-server's CPU per event (from /proc): the acks cost both.
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { JsMsg } from '@nats-io/jetstream';
import { HealthRegistry } from '@audit/platform';
import { decodeCanonicalMessage, envelopeOf, eventsSubject, JetStreamBatchConsumer, JetStreamConnection, provisionStreams, readMessagingConfig, STREAMS, type DecodedCanonicalMessage, type Delivery, type MessagingConfig } from '@audit/messaging';
import { canonicalEvent, connectTestBus, startTestNats } from '@audit/testing';

const N = Number(process.env.N ?? 100_000);
class Drain extends JetStreamBatchConsumer<DecodedCanonicalMessage> {
  count = 0;
  constructor(bus: JetStreamConnection, config: MessagingConfig, health: HealthRegistry, durable: string, ackAll: boolean) {
    super(bus, config, health, { durable, stream: STREAMS.events, filterSubject: 'audit.events.bench.>', maxBatchMessages: 1000, maxBatchBytes: 5_000_000, flushIntervalMs: 50, maxAckPending: 4000, inFlightBatches: 2, managed: true, ackAll });
  }
  protected decode(m: JsMsg): DecodedCanonicalMessage {
    return decodeCanonicalMessage(m.data, envelopeOf(m), false);
  }
  protected async handleBatch(batch: ReadonlyArray<Delivery<DecodedCanonicalMessage>>): Promise<void> {
    this.count += batch.length;
  }
}
const ticks = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};
async function main(): Promise<void> {
  const nats = await startTestNats();
  const bus = await connectTestBus(nats.url);
  const config = readMessagingConfig({ NATS_URL: nats.url });
  await provisionStreams(bus.jsm, config);
  const server = Number(execSync(`ps -eo pid,ppid,comm | awk '$2==${process.pid} && $3=="nats-server" {print $1}'`).toString().trim().split('\n')[0]);
  for (let i = 0; i < N; i += 1000) {
    await Promise.all(Array.from({ length: Math.min(1000, N - i) }, (_, j) => {
      const e = canonicalEvent({ organizationId: 'bench', actionType: 'LOGIN', userId: `u${i + j}`, metadata: { via: 'web', n: i + j } });
      return bus.js.publish(eventsSubject('bench', 'LOGIN'), JSON.stringify(e), { msgID: e.id });
    }));
  }
  const health = new HealthRegistry();
  const conn = new JetStreamConnection(config, health);
  await conn.onModuleInit();
  for (let round = 0; round < Number(process.env.ROUNDS ?? 3); round++) {
    for (const ackAll of [false, true]) {
      const durable = `drain-${round}-${ackAll ? 'all' : 'explicit'}`;
      const c0 = process.cpuUsage();
      const s0 = ticks(server);
      const t0 = performance.now();
      const consumer = new Drain(conn, config, health, durable, ackAll);
      await consumer.onApplicationBootstrap();
      for (;;) {
        await new Promise((r) => setTimeout(r, 50));
        if (consumer.count < N) continue;
        const info = await bus.jsm.consumers.info(STREAMS.events, durable);
        if (info.num_ack_pending === 0 && info.num_pending === 0) break;
      }
      const seconds = (performance.now() - t0) / 1000;
      await consumer.beforeApplicationShutdown();
      const c = process.cpuUsage(c0);
      const client = (c.user + c.system) / 1e6;
      const srv = ticks(server) - s0;
      process.stdout.write(`${ackAll ? 'AckPolicy.All     ' : 'AckPolicy.Explicit'} ${N} events: ${seconds.toFixed(2)} s, ${Math.round(N / seconds)} events/s; client CPU ${((client / N) * 1e6).toFixed(1)} µs/event, nats-server CPU ${((srv / N) * 1e6).toFixed(1)} µs/event; load ${loadavg().map((v) => v.toFixed(1)).join(' ')}\n`);
    }
  }
  await conn.onApplicationShutdown();
  await bus.close();
  await nats.destroy();
}
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
