/**
 * The sealer's received-through read: `npm run bench:received-through`. Starts a private NATS, leaves
 * 500, 5,000 and 19,000 canonical events of four organizations past the `sealer` durable's ack floor, and
 * times `ReceivedThroughBound.readFloor()` (connected as the sealer's NATS user) five times at each size,
 * counting the JetStream API requests it makes. Beside it, from the same run, the method it replaced: one
 * STREAM.MSG.GET (next_by_subj) per message, 500 messages of one organization (its old per-organization cap).
 */
import { AckPolicy, DeliverPolicy, type MsgRequest } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { eventJson } from '@audit/contracts';
import { eventsSubject, JetStreamConnection, provisionStreams, readMessagingConfig, STREAMS } from '@audit/messaging';
import { HealthRegistry } from '@audit/platform';
import { readSealerConfig, ReceivedThroughBound } from '@audit/sealer';
import { canonicalEvent, connectTestBus, startTestNats, waitFor } from '@audit/testing';
import { generateNoteKey } from '@audit/transparency';

const SIZES = [500, 5_000, 19_000];
const RUNS = 5;
const ORGS = ['bench_a', 'bench_b', 'bench_c', 'bench_d'];

const summary = (times: number[]): string => {
  const sorted = [...times].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms (min ${sorted[0].toFixed(1)}, max ${sorted[sorted.length - 1].toFixed(1)})`;
};

async function main(): Promise<void> {
  const nats = await startTestNats();
  const bus = await connectTestBus(nats.url);
  await provisionStreams(bus.jsm, readMessagingConfig({ NATS_URL: nats.url }));
  // The sealer's durable, never consumed here: every message stays past its ack floor.
  await bus.jsm.consumers.add(STREAMS.events, { durable_name: 'sealer', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: 'audit.events.>', ack_wait: nanos(3_600_000), max_deliver: -1 });
  const connection = new JetStreamConnection(readMessagingConfig({ ...nats.env('sealer'), NATS_PROVISION_STREAMS: 'false' }), new HealthRegistry());
  await connection.onModuleInit();
  const bound = new ReceivedThroughBound(readSealerConfig({ SEAL_PRIVATE_KEY: generateNoteKey('bench').signerKey }), connection);
  try {
    let total = 0;
    let bytes = 0;
    for (const size of SIZES) {
      for (let i = total; i < size; i++) {
        const event = canonicalEvent({ organizationId: ORGS[i % ORGS.length], actionType: 'LOGIN', userId: `u-${i}`, ipAddress: '10.0.0.1', metadata: { path: '/x', n: i } });
        const text = eventJson(event);
        bytes += text.length;
        bus.nc.publish(eventsSubject(event.organizationId, 'LOGIN'), text);
      }
      total = size;
      await bus.nc.flush();
      await waitFor('every event stored', async () => (await bus.jsm.streams.info(STREAMS.events)).state.messages === total, 120_000);
      const times: number[] = [];
      let requests = 0;
      for (let run = 0; run < RUNS; run++) {
        let count = 0;
        // The provisioner may read every subject: it sees each API request the sealer's connection makes.
        const sub = bus.nc.subscribe('$JS.API.>', { callback: () => void count++ });
        await bus.nc.flush();
        const started = performance.now();
        const floor = await bound.readFloor();
        times.push(performance.now() - started);
        await bus.nc.flush();
        sub.unsubscribe();
        requests = count;
        if (floor === null || floor.behind || floor.oldestPending.size !== ORGS.length) throw new Error(`readFloor did not read the ${size} pending events`);
      }
      console.log(`scan, ${size} events past the floor (${ORGS.length} organizations, ${Math.round(bytes / total)} B each): readFloor ${summary(times)}, ${requests} JetStream API requests`);
    }
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      let seq = 1;
      for (let read = 0; read < 500; read++) {
        // nats-server answers next_by_subj on STREAM.MSG.GET (2.9+); nats.js types it only for direct gets.
        const message = await bus.jsm.streams.getMessage(STREAMS.events, { seq, next_by_subj: `audit.events.${ORGS[0]}.>` } as unknown as MsgRequest);
        if (message === null) throw new Error('fewer than 500 events of one organization');
        seq = message.seq + 1;
      }
      times.push(performance.now() - started);
    }
    console.log(`previous method, 500 events of one organization by STREAM.MSG.GET: ${summary(times)}, 500 JetStream API requests`);
  } finally {
    await connection.onApplicationShutdown();
    await bus.close();
    await nats.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
