/**
 * node scripts/run.js bench/projector-check.bench.ts — the projector's duplicate check against a large
 * projection, on embedded chDB opened as the platform opens it (the process-wide turn of parameterised
 * statements included):
 *
 *  1. BENCH_ROWS (1,000,000) events of one organization over the last BENCH_DAYS (30) days, UUIDv7 ids of
 *     their createdAt as ingest mints them, every one registered (as the projector leaves them);
 *  2. BENCH_ROUNDS (30) rounds, each timing the check of a live batch of BENCH_BATCH (1,000) new events
 *     (createdAt: now) and of a batch of stored events (a redelivery), in both forms, alternating: the
 *     check (`check`: one statement, values written into its text) and the two parameterised statements
 *     it replaced (`storedKeys` then `registeredKeys`);
 *  3. meanwhile a reader on a second connection runs a parameterised statement (as the analytics reads
 *     are) every 20 ms: its latency while each form of the check runs says how long reads queue behind it;
 *     (BENCH_READER=0: no reader, each check alone);
 *  4. prints the median and p95 of each, and the machine's load.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadavg } from 'node:os';
import { ClickHouseEventsRepository, migrateClickHouse, openClickHouse, openReadClient, readClickHouseConfig, toClickHouseTime, type ClickHouse, type EventKey } from '@audit/clickhouse';
import { uuidv7 } from '@audit/contracts';
import { percentile } from './cpu';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const DAYS = Number(process.env.BENCH_DAYS ?? 30);
const BATCH = Number(process.env.BENCH_BATCH ?? 1_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
/** BENCH_READER=0: no reader, so each form of the check runs alone. */
const READER = process.env.BENCH_READER !== '0';
const ORG = 'bench-check';

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-check-ch-'));
  const config = readClickHouseConfig({ CLICKHOUSE_PATH: dir, CLICKHOUSE_DATABASE: 'bench' });
  const opened = await openClickHouse(config);
  const client = opened.client;
  const reads = await openReadClient(config, opened);
  try {
    await migrateClickHouse(client);
    const now = Date.now();
    const from = now - DAYS * 86_400_000;
    const fill = performance.now();
    // A UUIDv7 of each row's createdAt (48 bits of milliseconds, version 7, variant 10, random bits).
    await client.command({
      query: `INSERT INTO audit_events (id, organizationId, actionType, userId, metadata, createdAt, receivedAt)
              SELECT toUUID(concat(substring(h, 1, 8), '-', substring(h, 9, 4), '-7', substring(r, 1, 3), '-8', substring(r, 5, 3), '-', substring(r, 9, 12))),
                     '${ORG}', 'LOGIN', concat('u', toString(number % 500)), '{}', t, t
              FROM (SELECT number, toInt64(${from} + number * ${(now - 60_000 - from) / ROWS}) AS ms, fromUnixTimestamp64Milli(ms, 'UTC') AS t,
                           leftPad(lower(hex(toUInt64(ms))), 12, '0') AS h, lower(hex(generateUUIDv4(number))) AS r
                    FROM numbers(${ROWS}))`,
    });
    await client.command({ query: `INSERT INTO audit_event_ids SELECT organizationId, id FROM audit_events` });
    const fillSeconds = (performance.now() - fill) / 1000;
    const repo = new ClickHouseEventsRepository({ client, insertSettings: {}, removalSettings: {} } as unknown as ClickHouse);

    const live = (): EventKey[] =>
      Array.from({ length: BATCH }, (_, i) => {
        const at = new Date(Date.now() - 1_000 + i);
        return { id: uuidv7(at), organizationId: ORG, createdAt: toClickHouseTime(at) };
      });
    const stored = await (
      await client.query({
        query: `SELECT toString(id) AS id, organizationId, toString(createdAt) AS createdAt FROM audit_events ORDER BY createdAt DESC LIMIT ${BATCH}`,
        format: 'JSONEachRow',
      })
    ).json<EventKey>();

    const forms = {
      check: (rows: readonly EventKey[]) => repo.check(rows),
      parameterised: async (rows: readonly EventKey[]) => ({ stored: await repo.storedKeys(rows), registered: await repo.registeredKeys(rows) }),
    };
    type Form = keyof typeof forms;
    const timings: Record<string, number[]> = {};
    const record = (name: string, ms: number): void => void (timings[name] ??= []).push(ms);

    // The reader: a parameterised statement on its own connection, as the analytics reads; its latency is
    // recorded against the form of the check running when it started.
    let running: Form | undefined;
    let reading = READER;
    const reader = (async () => {
      while (reading) {
        const form = running;
        const started = performance.now();
        await (await reads.query({ query: 'SELECT count() AS n FROM audit_events_hourly WHERE organizationId = {org:String}', query_params: { org: ORG }, format: 'JSONEachRow' })).json();
        if (form) record(`read during ${form}`, performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    for (let round = 0; round < ROUNDS; round++) {
      // Alternating which form goes first, so neither always follows the other.
      const order: Form[] = round % 2 === 0 ? ['check', 'parameterised'] : ['parameterised', 'check'];
      for (const form of order) {
        for (const [kind, rows, expected] of [['new', live(), 0], ['stored', stored, BATCH]] as const) {
          running = form;
          const started = performance.now();
          const found = await forms[form](rows);
          record(`${form} ${kind}`, performance.now() - started);
          running = undefined;
          if (found.stored.size !== expected || found.registered.size !== expected) throw new Error(`${form} found ${found.stored.size}/${found.registered.size}, expected ${expected}`);
        }
      }
    }
    reading = false;
    await reader;
    const summary = Object.fromEntries(
      Object.entries(timings).map(([name, ms]) => {
        const sorted = [...ms].sort((a, b) => a - b);
        return [name, { n: sorted.length, p50: +percentile(sorted, 50).toFixed(1), p95: +percentile(sorted, 95).toFixed(1) }];
      }),
    );
    console.log(JSON.stringify({ rows: ROWS, batch: BATCH, rounds: ROUNDS, fillSeconds: +fillSeconds.toFixed(1), loadavg: loadavg().map((l) => +l.toFixed(2)), ms: summary }, null, 1));
  } finally {
    await reads.close();
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
