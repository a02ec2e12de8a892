import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { monthStart, partitionName } from '@audit/persistence';
import { COPY_COLUMNS, toClickHouseLine, toCopyLine, type Dataset } from './analytics-data';

/** Rows per generated chunk written to COPY. */
const CHUNK = 10_000;

/** One partition per month from `start` to `end`, named as PartitionManager names them. */
export async function createPartitions(url: string, start: Date, end: Date): Promise<string[]> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  const names: string[] = [];
  try {
    for (let month = monthStart(start); month.getTime() <= end.getTime(); month = monthStart(month, 1)) {
      const name = partitionName(month);
      await pg.query(`CREATE TABLE ${name} PARTITION OF audit_trail_events FOR VALUES FROM ('${month.toISOString()}') TO ('${monthStart(month, 1).toISOString()}')`);
      names.push(name);
    }
  } finally {
    await pg.end();
  }
  return names;
}

export interface PgLoad {
  rows: number;
  seconds: number;
  generatorSeconds: number;
  vacuumSeconds: number;
  users: number;
  byOrg: Map<string, number>;
  sizeBytes: number;
  pressure: number;
}

/**
 * COPYs `dataset` into audit_trail_events. With `clickHouseLines`, each event is also written there as a
 * ClickHouse TabSeparated line (`toClickHouseLine`) in the same pass, so a ClickHouse copy of the very same
 * events is loaded from a file instead of being read back out of Postgres or generated a second time.
 */
export async function loadPostgres(url: string, dataset: Dataset, progress: (msg: string) => void, clickHouseLines?: Writable): Promise<PgLoad> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  try {
    const users = dataset.orgs.flatMap((o) => o.users);
    await pg.query(
      `INSERT INTO users (id, email, "userName", "organizationId") SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])`,
      [users.map((u) => u.id), users.map((u) => u.email), users.map((u) => u.userName), users.map((u) => u.organizationId)],
    );
    const byOrg = new Map<string, number>();
    let rows = 0;
    let generatorMs = 0;
    let nextReport = 1_000_000;
    const started = performance.now();
    const pressure = pressureSince();
    async function* text(): AsyncGenerator<string> {
      const chunks = dataset.chunks(CHUNK);
      for (;;) {
        const t = performance.now();
        const next = chunks.next();
        if (next.done) return;
        const copyLines = next.value.map(toCopyLine);
        const lines = copyLines.join('\n') + '\n';
        const clickHouseText = clickHouseLines ? next.value.map((e, i) => toClickHouseLine(e, copyLines[i])).join('\n') + '\n' : '';
        for (const e of next.value) byOrg.set(e.organizationId, (byOrg.get(e.organizationId) ?? 0) + 1);
        rows += next.value.length;
        generatorMs += performance.now() - t;
        if (clickHouseLines && !clickHouseLines.write(clickHouseText)) await once(clickHouseLines, 'drain');
        if (rows >= nextReport) {
          progress(`Postgres COPY: ${rows} rows, ${Math.round(rows / ((performance.now() - started) / 1000))} rows/s`);
          nextReport += 1_000_000;
        }
        yield lines;
      }
    }
    await pipeline(Readable.from(text()), pg.query(copyFrom(`COPY audit_trail_events (${COPY_COLUMNS}) FROM STDIN`)));
    const seconds = (performance.now() - started) / 1000;
    const copyPressure = pressure();
    progress(`Postgres COPY: ${rows} rows in ${seconds.toFixed(1)} s; VACUUM ANALYZE`);
    const v = performance.now();
    await pg.query('VACUUM (ANALYZE) audit_trail_events');
    await pg.query('VACUUM (ANALYZE) users');
    // The load's dirty pages written out now, not by the checkpointer while queries are timed.
    await pg.query('CHECKPOINT');
    const vacuumSeconds = (performance.now() - v) / 1000;
    const size = await pg.query<{ bytes: string }>(`SELECT sum(pg_total_relation_size(inhrelid))::bigint AS bytes FROM pg_inherits WHERE inhparent = 'audit_trail_events'::regclass`);
    return { rows, seconds, generatorSeconds: generatorMs / 1000, vacuumSeconds, users: users.length, byOrg, sizeBytes: Number(size.rows[0].bytes), pressure: copyPressure };
  } finally {
    await pg.end();
  }
}

/**
 * The machine is shared: the share of wall time in which some runnable task waited for a CPU
 * (Linux PSI, /proc/pressure/cpu "some") between this call and the returned function's call, in %.
 */
export function pressureSince(): () => number {
  const read = (): number => {
    try {
      const m = /^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
      return m ? Number(m[1]) : NaN;
    } catch {
      return NaN;
    }
  };
  const startUs = read();
  const startMs = performance.now();
  return () => (100 * (read() - startUs)) / ((performance.now() - startMs) * 1000);
}
