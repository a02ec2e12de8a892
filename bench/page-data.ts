import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { createDataSource, runMigrations } from '@audit/persistence';
import { createDataset, type Dataset } from './analytics-data';
import { createPartitions, loadPostgres, type PgLoad } from './postgres-load';
import { progress } from './progress';

/**
 * The data set of the benchmarks that read a loaded store (bench:analytics, bench:query, bench:search), so
 * that their figures describe the same events: the generator of analytics-data.ts, 90 days up to the
 * current minute, 50 organizations, BENCH_SEED.
 */
export function pageBenchDataset(rows: number): Dataset {
  const seed = Number(process.env.BENCH_SEED ?? 20_260_301);
  const days = 90;
  const orgs = 50;
  const end = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  progress(`data set: ${rows} rows, ${days} days up to ${end.toISOString()}, ${orgs} organizations, seed ${seed}`);
  return createDataset({ rows, days, orgs, seed, end });
}

/**
 * Loads `dataset` into the empty database at `url` as the platform would hold it: the schema by the
 * migrations, monthly partitions as PartitionManager names them, then COPY and VACUUM ANALYZE. With
 * `clickHouseFile`, the same events are written there in the same pass as ClickHouse TabSeparated lines
 * (CLICKHOUSE_STRUCTURE), for a bulk insert into an embedded ClickHouse.
 */
export async function loadPageBenchDatabase(url: string, dataset: Dataset, clickHouseFile?: string): Promise<{ load: PgLoad; partitions: string[] }> {
  const ds = createDataSource(url);
  await ds.initialize();
  await runMigrations(ds);
  await ds.destroy();
  const partitions = await createPartitions(url, dataset.start, dataset.options.end);
  const lines = clickHouseFile ? createWriteStream(clickHouseFile) : undefined;
  const load = await loadPostgres(url, dataset, progress, lines);
  if (lines) {
    lines.end();
    await finished(lines);
  }
  return { load, partitions };
}

/** The organization with the most events (the benchmarks time their reads for it) and its count. */
export function largestOrganization(byOrg: ReadonlyMap<string, number>): { org: string; rows: number } {
  const [org, rows] = [...byOrg.entries()].sort((a, b) => b[1] - a[1])[0];
  return { org, rows };
}
