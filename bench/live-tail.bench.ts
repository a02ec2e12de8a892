/**
 * Live-tail latency: `npm run bench:live-tail`. Starts a private NATS and the query service (as its own
 * NATS user), opens `GET /v1/events/stream?search=action:LOGIN`, then publishes canonical events onto
 * AUDIT_EVENTS at BENCH_LIVE_RATE events/s (2,000) for BENCH_LIVE_SECONDS (10), half of them LOGIN. Prints
 * p50/p99 of publish → delivery for the tail's matching events, beside a raw baseline from the same run:
 * an ordered consumer in this process on the same subjects (the bus alone, no HTTP, no matching).
 */
import { randomUUID } from 'node:crypto';
import { DeliverPolicy } from '@nats-io/jetstream';
import { TokensService } from '@audit/auth';
import { validateEvent, type AuditEvent } from '@audit/contracts';
import { eventsSubject, provisionStreams, readMessagingConfig, STREAMS } from '@audit/messaging';
import { connectTestBus, createTestDatabase, startService, startTestNats } from '@audit/testing';
import { percentile } from './cpu';

const RATE = Number(process.env.BENCH_LIVE_RATE ?? 2_000);
const SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 10);
const SECRET = 'live-tail-bench-secret-that-is-long-enough-01';
const ORG = 'bench-tail';

async function main(): Promise<void> {
  const db = await createTestDatabase('bench_live_tail');
  const nats = await startTestNats();
  const bus = await connectTestBus(nats.url);
  await provisionStreams(bus.jsm, readMessagingConfig({ NATS_URL: nats.url }));
  const service = await startService('query', { DATABASE_URL: db.url, ...nats.env('query'), NATS_PROVISION_STREAMS: 'false', AUTH_JWT_SECRET: SECRET });
  try {
    const token = await new TokensService({ jwtSecret: new TextEncoder().encode(SECRET), keyCacheMs: 0, maxTokenLifetimeSeconds: 3600 }).sign({ organizationId: ORG, role: 'admin', userId: 'bench' }, 3600);
    const sentAt = new Map<string, number>();
    const tail: number[] = [];
    const raw: number[] = [];

    // The tail, read as the console reads it.
    const stop = new AbortController();
    const res = await fetch(`${service.url}/v1/events/stream?search=action:LOGIN`, { headers: { authorization: `Bearer ${token}` }, signal: stop.signal });
    if (res.status !== 200 || !res.body) throw new Error(`the stream answered ${res.status}`);
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const now = performance.now();
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const data = /^data: (.*)$/m.exec(buffer.slice(0, end))?.[1];
          buffer = buffer.slice(end + 2);
          if (data) tail.push(now - (sentAt.get((JSON.parse(data) as { id: string }).id) ?? NaN));
        }
      }
    })().catch(() => undefined);

    // The raw baseline: the bus alone.
    const consumer = await bus.js.consumers.get(STREAMS.events, { filter_subjects: `audit.events.${ORG}.>`, deliver_policy: DeliverPolicy.New });
    const messages = await consumer.consume({ max_messages: 1024 });
    void (async () => {
      for await (const m of messages) {
        const event = m.json<AuditEvent>();
        if (event.actionType === 'LOGIN') raw.push(performance.now() - (sentAt.get(event.id) ?? NaN));
      }
    })();

    console.error(`publishing ${RATE} events/s for ${SECONDS} s…`);
    const total = RATE * SECONDS;
    const tick = 10;
    const perTick = Math.max(1, Math.round((RATE * tick) / 1000));
    const started = performance.now();
    let sent = 0;
    while (sent < total) {
      const batch: Array<Promise<unknown>> = [];
      for (let i = 0; i < perTick && sent < total; i++, sent++) {
        const result = validateEvent({ id: randomUUID(), organizationId: ORG, actionType: sent % 2 ? 'LOGIN' : 'PAGE_VIEW', userId: `u-${sent % 50}`, user: { email: `u${sent % 50}@bench.test`, userName: 'U' } }, { now: new Date() });
        if (!result.ok) throw new Error('bad event');
        sentAt.set(result.event.id, performance.now());
        batch.push(bus.js.publish(eventsSubject(ORG, result.event.actionType), JSON.stringify(result.event), { msgID: result.event.id }));
      }
      await Promise.all(batch);
      const due = started + (sent / RATE) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    const elapsed = (performance.now() - started) / 1000;
    const expected = Math.floor(total / 2);
    const deadline = Date.now() + 30_000;
    while ((tail.length < expected || raw.length < expected) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    messages.stop();
    stop.abort();
    await reading;
    const line = (label: string, values: number[]) => {
      const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
      return `${label}: ${sorted.length}/${expected} delivered, p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted[sorted.length - 1]?.toFixed(1)} ms`;
    };
    console.log(`published ${total} events in ${elapsed.toFixed(1)} s (${(total / elapsed).toFixed(0)}/s), half of them match`);
    console.log(line('live tail (HTTP SSE, search action:LOGIN)', tail));
    console.log(line('raw ordered consumer (baseline)', raw));
  } finally {
    await bus.close();
    await service.stop();
    await nats.destroy();
    await db.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
