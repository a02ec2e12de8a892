import { Injectable } from '@nestjs/common';
import { escapeIdentifier, type PoolClient } from 'pg';
import { Database } from './database';

const PARENT = 'audit_trail_events';

/** A partition attached to `audit_trail_events` (one being detached is not listed). */
export interface EventPartition {
  name: string;
  isDefault: boolean;
}

/** Where a partition stands with its parent: null once it is detached. */
export interface PartitionAttachment {
  /** An earlier `DETACH … CONCURRENTLY` was interrupted: only `FINALIZE` completes it. */
  pending: boolean;
  /** The parent has a default partition, so `CONCURRENTLY` is refused. */
  hasDefault: boolean;
}

export type DetachMode = 'finalize' | 'plain' | 'concurrently';

/**
 * A connection kept for one purge step, with `lock_timeout` set: a statement that cannot get its lock in
 * time fails with `55P03` (what to do then is the caller's policy) instead of queueing writers behind it.
 */
export interface PurgeSession {
  /** Deletes up to `limit` of the organization's rows before `cutoff`; returns how many went. */
  deleteBefore(partition: string, organizationId: string, cutoff: Date, limit: number): Promise<number>;
  attachment(partition: string): Promise<PartitionAttachment | null>;
  detach(partition: string, mode: DetachMode): Promise<void>;
  countByOrganization(partition: string): Promise<Map<string, number>>;
  /** Copies the organizations' rows of a detached partition back into the parent (its default partition); returns how many. */
  restore(partition: string, organizationIds: string[]): Promise<number>;
  drop(partition: string): Promise<void>;
}

/**
 * The partitions of `audit_trail_events` as retention sees them: what each holds and per organization
 * since when, and the statements that remove rows (batched deletes, detach and drop). Counts and purges may
 * rightly run long, so none has a client-side timeout.
 */
@Injectable()
export class EventPartitionsRepository {
  constructor(private readonly db: Database) {}

  async list(): Promise<EventPartition[]> {
    const { rows } = await this.db.query<EventPartition>(
      `SELECT c.relname AS name, c.oid = pt.partdefid AS "isDefault"
       FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_partitioned_table pt ON pt.partrelid = i.inhparent
       WHERE i.inhparent = $1::regclass AND NOT i.inhdetachpending
       ORDER BY c.relname`,
      [PARENT],
      { timeout: false },
    );
    return rows;
  }

  /** Organizations in a partition with their oldest row: a recursive skip scan over the (organizationId, createdAt) index. */
  async organizationsIn(partition: string): Promise<Array<{ organizationId: string; oldest: Date }>> {
    const t = escapeIdentifier(partition);
    const { rows } = await this.db.query<{ organizationId: string; oldest: Date }>(
      `WITH RECURSIVE orgs(o) AS (
         (SELECT "organizationId" FROM ${t} ORDER BY "organizationId" LIMIT 1)
         UNION ALL
         SELECT (SELECT "organizationId" FROM ${t} WHERE "organizationId" > orgs.o ORDER BY "organizationId" LIMIT 1)
         FROM orgs WHERE orgs.o IS NOT NULL)
       SELECT o AS "organizationId", (SELECT min("createdAt") FROM ${t} WHERE "organizationId" = o) AS oldest
       FROM orgs WHERE o IS NOT NULL`,
      [],
      { timeout: false },
    );
    return rows;
  }

  /** Rows per organization in a partition. */
  async countByOrganization(partition: string): Promise<Map<string, number>> {
    const { rows } = await this.db.query<{ organizationId: string; n: string }>(
      `SELECT "organizationId", count(*) AS n FROM ${escapeIdentifier(partition)} GROUP BY 1`,
      [],
      { timeout: false },
    );
    return new Map(rows.map((r) => [r.organizationId, Number(r.n)]));
  }

  /** The organization's rows in a partition before `cutoff`. */
  async countBefore(partition: string, organizationId: string, cutoff: Date): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${escapeIdentifier(partition)} WHERE "organizationId" = $1 AND "createdAt" < $2`,
      [organizationId, cutoff],
      { timeout: false },
    );
    return Number(rows[0].n);
  }

  /** Lends `work` a purge session; `lock_timeout` is reset before the connection goes back (or it is discarded). */
  withPurgeSession<T>(lockTimeoutMs: number, work: (session: PurgeSession) => Promise<T>): Promise<T> {
    return this.db.withClient(async (client, discard) => {
      await client.query(`SET lock_timeout = ${Math.max(1, Math.round(lockTimeoutMs))}`);
      try {
        return await work(purgeSession(client));
      } finally {
        await client.query('RESET lock_timeout').catch((error: Error) => discard(error));
      }
    });
  }
}

function purgeSession(client: PoolClient): PurgeSession {
  return {
    async deleteBefore(partition, organizationId, cutoff, limit) {
      const table = escapeIdentifier(partition);
      // ctid = ANY(…) is a TID scan: the batch is found through the index once and deleted by address.
      const result = await client.query(
        `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM ${table} WHERE "organizationId" = $1 AND "createdAt" < $2 LIMIT $3))`,
        [organizationId, cutoff, limit],
      );
      return result.rowCount ?? 0;
    },
    async attachment(partition) {
      const state = await client.query<PartitionAttachment>(
        `SELECT i.inhdetachpending AS pending, pt.partdefid <> 0 AS "hasDefault"
         FROM pg_inherits i JOIN pg_partitioned_table pt ON pt.partrelid = i.inhparent
         WHERE i.inhparent = $1::regclass AND i.inhrelid = $2::regclass`,
        [PARENT, partition],
      );
      return state.rows[0] ?? null;
    },
    async detach(partition, mode) {
      const name = escapeIdentifier(partition);
      const suffix = mode === 'finalize' ? ' FINALIZE' : mode === 'concurrently' ? ' CONCURRENTLY' : '';
      await client.query(`ALTER TABLE ${PARENT} DETACH PARTITION ${name}${suffix}`);
    },
    async countByOrganization(partition) {
      const counts = await client.query<{ organizationId: string; n: string }>(`SELECT "organizationId", count(*) AS n FROM ${escapeIdentifier(partition)} GROUP BY 1`);
      return new Map(counts.rows.map((r) => [r.organizationId, Number(r.n)]));
    },
    async restore(partition, organizationIds) {
      const moved = await client.query(
        `INSERT INTO ${PARENT} SELECT * FROM ${escapeIdentifier(partition)} WHERE "organizationId" = ANY($1::text[]) ON CONFLICT DO NOTHING`,
        [organizationIds],
      );
      return moved.rowCount ?? 0;
    },
    async drop(partition) {
      await client.query(`DROP TABLE ${escapeIdentifier(partition)}`);
    },
  };
}
