/**
 * node scripts/run.js bench/projector-months.bench.ts — the projector given events spread over many months
 * (one ClickHouse partition per month), as a separate process on embedded chDB:
 *
 *  1. BENCH_EVENTS events (default 20,000) over BENCH_MONTHS months (default 120), two organizations,
 *     published at once: the seconds until the projector has acknowledged every one ("settle");
 *  2. as many again, and SIGTERM as soon as a batch is in flight: the seconds until the process exits;
 *  3. a new projector on the same data finishes the rest; then every id is counted once in
 *     `audit_events` and both rollups equal a direct aggregate of the events.
 * Prints one JSON line of figures. Run under `flock /tmp/audit-bench.lock` so benchmarks never overlap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { createClient } from '@clickhouse/client';
import type { AuditEvent } from '@audit/contracts';
import { eventsSubject, STREAMS } from '@audit/messaging';
import { connectTestBus, createTestDatabase, ROLLUP_CHECKS, startService, startTestNats, waitFor, waitForConsumerIdle } from '@audit/testing';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const MONTHS = Number(process.env.BENCH_MONTHS ?? 120);
const START = Date.UTC(2016, 0, 1);

function spreadEvents(n: number): AuditEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const month = i % MONTHS;
    const createdAt = new Date(Date.UTC(2016, month, 1) + ((i * 7_919_993) % (27 * 86_400_000))).toISOString();
    return {
      schemaVersion: 1,
      id: randomUUID(),
      organizationId: i % 2 === 0 ? 'org-a' : 'org-b',
      actionType: i % 3 === 0 ? 'LOGIN' : 'QUERY_RUN',
      userId: `user-${i % 50}`,
      user: { email: `user-${i % 50}@example.com`, userName: `User ${i % 50}` },
      ipAddress: `192.0.2.${i % 200}`,
      responseTimeMs: i % 5 === 0 ? null : i % 1000,
      pageName: null,
      queryName: null,
      resourceName: null,
      metadata: { i },
      createdAt,
      receivedAt: new Date(START + 4_000 * 86_400_000).toISOString(),
    } as AuditEvent;
  });
}

async function main(): Promise<void> {
  const [db, nats] = await Promise.all([createTestDatabase('bench_projector'), startTestNats()]);
  const bus = await connectTestBus(nats.url);
  const chPath = mkdtempSync(path.join(tmpdir(), 'bench-projector-ch-'));
  const env = { DATABASE_URL: db.url, NATS_URL: nats.url, CLICKHOUSE_PATH: chPath, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn' };
  const publish = async (events: AuditEvent[]): Promise<void> => {
    for (let i = 0; i < events.length; i += 500) {
      await Promise.all(events.slice(i, i + 500).map((e) => bus.js.publish(eventsSubject(e.organizationId, e.actionType), JSON.stringify(e), { msgID: e.id })));
    }
  };
  const figures: Record<string, unknown> = { events: EVENTS, months: MONTHS };
  try {
    let projector = await startService('projector', env, 120_000);
    const first = spreadEvents(EVENTS);
    await publish(first);
    let t = performance.now();
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'projector', 900_000);
    figures['settleSeconds'] = Number(((performance.now() - t) / 1000).toFixed(2));

    const second = spreadEvents(EVENTS);
    await publish(second);
    await waitFor('a batch in flight', async () => (await bus.jsm.consumers.info(STREAMS.events, 'projector')).num_ack_pending > 0, 60_000, 20);
    t = performance.now();
    const code = await projector.stop();
    figures['sigtermExitSeconds'] = Number(((performance.now() - t) / 1000).toFixed(2));
    figures['sigtermExitCode'] = code;
    const info = await bus.jsm.consumers.info(STREAMS.events, 'projector');
    figures['leftAfterSigterm'] = info.num_pending + info.num_ack_pending;
    if (process.env.BENCH_VERBOSE) console.error(projector.output().split('\n').slice(-40).join('\n'));

    projector = await startService('projector', env, 120_000);
    t = performance.now();
    await waitForConsumerIdle(bus.jsm, STREAMS.events, 'projector', 900_000);
    figures['restartSettleSeconds'] = Number(((performance.now() - t) / 1000).toFixed(2));
    await projector.stop();

    const { createChdbConnection } = await import('chdb/connection');
    const ch = createClient({ connection: createChdbConnection({ path: chPath }) } as unknown as Parameters<typeof createClient>[0]);
    await ch.command({ query: 'USE audit' });
    const query = async (sql: string): Promise<unknown[]> =>
      (await ch.query({ query: sql, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } })).json();
    figures['stored'] = (await query('SELECT count() AS rows, uniqExact(id) AS ids FROM audit_events'))[0];
    figures['expected'] = 2 * EVENTS;
    figures['hourlyExact'] = JSON.stringify(await query(ROLLUP_CHECKS.hourly.rollup)) === JSON.stringify(await query(ROLLUP_CHECKS.hourly.events));
    figures['dailyUsersExact'] = JSON.stringify(await query(ROLLUP_CHECKS.dailyUsers.rollup)) === JSON.stringify(await query(ROLLUP_CHECKS.dailyUsers.events));
    await ch.close();
    console.log(JSON.stringify(figures));
  } finally {
    await bus.close();
    await nats.destroy();
    await db.drop();
    rmSync(chPath, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
