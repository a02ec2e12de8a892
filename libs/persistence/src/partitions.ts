import { Inject, Injectable, Logger } from '@nestjs/common';
import { PERSISTENCE_CONFIG, type PersistenceConfig } from './config';
import { Database } from './database';

const PARTITION_LOCK_KEY = 7_204_391_002;

/** `audit_trail_events_y2026m03` for March 2026 (UTC). */
export function partitionName(monthStart: Date): string {
  return `audit_trail_events_y${monthStart.getUTCFullYear()}m${String(monthStart.getUTCMonth() + 1).padStart(2, '0')}`;
}

export function monthStart(date: Date, offsetMonths = 0): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + offsetMonths, 1));
}

const PARTITION_NAME = /^audit_trail_events_y(\d{4})m(0[1-9]|1[0-2])$/;

/** The month {@link partitionName} named: `audit_trail_events_y2026m03` → March 2026 (UTC); null for a name it did not give. */
export function rangeOfPartitionName(partition: string): { from: Date; to: Date } | null {
  const match = PARTITION_NAME.exec(partition);
  if (!match) return null;
  const from = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
  return { from, to: monthStart(from, 1) };
}

/**
 * Keeps monthly partitions of audit_trail_events created ahead of time. Events for a month with no
 * partition land in the default partition; creating that month later moves them into it.
 */
@Injectable()
export class PartitionManager {
  private readonly logger = new Logger(PartitionManager.name);

  constructor(
    private readonly db: Database,
    @Inject(PERSISTENCE_CONFIG) private readonly config: PersistenceConfig,
  ) {}

  /** Ensures partitions from last month to `partitionMonthsAhead` months ahead; returns the ones created. */
  async ensureAhead(now = new Date()): Promise<string[]> {
    const created: string[] = [];
    for (let offset = -1; offset <= this.config.partitionMonthsAhead; offset++) {
      if (await this.ensureMonth(monthStart(now, offset))) created.push(partitionName(monthStart(now, offset)));
    }
    if (created.length > 0) this.logger.log({ msg: 'partitions created', partitions: created });
    return created;
  }

  /** Creates the month's partition if missing, moving any of its rows out of the default partition. */
  async ensureMonth(start: Date): Promise<boolean> {
    const name = partitionName(start);
    const from = start.toISOString();
    const to = monthStart(start, 1).toISOString();
    // Moving a month's stray rows out of the default partition may rightly take long: no client-side timeout.
    const unbounded = { timeout: false };
    return this.db.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK_KEY]);
      const exists = await client.query('SELECT to_regclass($1) AS t', [name]);
      if (exists.rows[0].t !== null) return false;
      const stray = await client.query(
        'SELECT 1 FROM audit_trail_events_default WHERE "createdAt" >= $1 AND "createdAt" < $2 LIMIT 1',
        [from, to],
      );
      if (stray.rowCount === 0) {
        await client.query(`CREATE TABLE ${name} PARTITION OF audit_trail_events FOR VALUES FROM ('${from}') TO ('${to}')`);
      } else {
        await client.query(`CREATE TABLE ${name} (LIKE audit_trail_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
        await client.query(
          `WITH moved AS (DELETE FROM audit_trail_events_default WHERE "createdAt" >= $1 AND "createdAt" < $2 RETURNING *)
           INSERT INTO ${name} SELECT * FROM moved`,
          [from, to],
        );
        await client.query(`ALTER TABLE audit_trail_events ATTACH PARTITION ${name} FOR VALUES FROM ('${from}') TO ('${to}')`);
      }
      return true;
    }, unbounded);
  }
}
