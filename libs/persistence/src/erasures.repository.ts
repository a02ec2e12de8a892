import { Injectable } from '@nestjs/common';
import { Database } from './database';
import { LOCK_ORGANIZATION_FOR_ERASURE } from './erasure-lock';

/** One erasure of a person's data, as recorded in `erasures`. */
export interface ErasureRecord {
  id: string;
  organizationId: string;
  userId: string;
  /** Who asked (`token:<sub>` or `cli:<os user>`). */
  requestedBy: string;
  /** Events whose content was emptied. */
  events: number;
  erasedAt: Date;
}

/** The events an erasure emptied, with their times (ClickHouse's rollups are rebuilt for their spans). */
export interface ErasedEvents {
  record: ErasureRecord;
  events: Array<{ id: string; createdAt: Date }>;
}

type ErasureRow = Omit<ErasureRecord, 'events'> & { events: string };
const toRecord = (r: ErasureRow): ErasureRecord => ({ ...r, events: Number(r.events) });

/**
 * Erasure of one person's data in Postgres (docs/transparency.md, "Erasure"): in one transaction, the
 * content of every event of the organization they acted in (actor, IP address, response time, names,
 * metadata), the salt and `user` snapshot of those events' leaves, and their e-mail and name in
 * `users`. Leaves, subtree hashes and checkpoints stay: every proof still verifies, and a verifier
 * reports the events as erased.
 */
@Injectable()
export class ErasuresRepository {
  constructor(private readonly db: Database) {}

  async eraseUser(id: string, organizationId: string, userId: string, requestedBy: string): Promise<ErasedEvents> {
    return this.db.transaction(
      async (sql) => {
        // Waits for the organization's writer batches in flight to commit (so the UPDATE below sees their
        // rows) and holds new ones back until this commits (so they see this erasure): erasure-lock.ts.
        await sql.query(LOCK_ORGANIZATION_FOR_ERASURE, [organizationId]);
        // The events received by now(), the erasure's erasedAt (isErasedBy's rule): one received since is new
        // activity, as the writer and the streams treat it.
        const erased = await sql.query<{ id: string; createdAt: Date }>(
          `UPDATE audit_trail_events SET "userId" = NULL, "ipAddress" = NULL, "responseTimeMs" = NULL, "pageName" = NULL, "queryName" = NULL,
             "resourceName" = NULL, metadata = '{}'::jsonb
           WHERE "organizationId" = $1 AND "userId" = $2 AND "receivedAt" <= now()
           RETURNING id, "createdAt"`,
          [organizationId, userId],
        );
        const ids = erased.rows.map((r) => r.id);
        await sql.query(`UPDATE log_leaves SET salt = NULL, "user" = NULL WHERE "organizationId" = $1 AND "eventId" = ANY($2::uuid[])`, [organizationId, ids]);
        await sql.query(`UPDATE users SET email = NULL, "userName" = NULL, "updatedAt" = now() WHERE "organizationId" = $1 AND id = $2`, [organizationId, userId]);
        const inserted = await sql.query<ErasureRow>(
          `INSERT INTO erasures (id, "organizationId", "userId", "requestedBy", events) VALUES ($1, $2, $3, $4, $5)
           RETURNING id, "organizationId", "userId", "requestedBy", events, "erasedAt"`,
          [id, organizationId, userId, requestedBy, ids.length],
        );
        return { record: toRecord(inserted.rows[0]), events: erased.rows };
      },
      { timeout: false },
    );
  }

  /**
   * Each person erased since `since` (of any organization), with their latest erasure: what a reader of
   * copies kept outside Postgres (the bus's, which the streams deliver and replay) must still empty.
   */
  async erasedSince(since: Date): Promise<Array<{ organizationId: string; userId: string; erasedAt: Date }>> {
    return this.db.read<{ organizationId: string; userId: string; erasedAt: Date }>(
      `SELECT "organizationId", "userId", max("erasedAt") AS "erasedAt" FROM erasures WHERE "erasedAt" >= $1 GROUP BY "organizationId", "userId"`,
      [since],
    );
  }

  /**
   * For each person given (organization, user, the earliest receipt of theirs in question), their latest
   * erasure at or after that receipt, if any: the erasure that covers those events (isErasedBy's rule, as
   * `erasedInSql` states it for the writer). One statement for any number of people; each probes
   * `erasures_org_time` over (organization, erasedAt at or after the receipt), a range that is empty
   * unless the organization erased someone since: what a projector batch costs when nobody was erased.
   */
  async latestCovering(
    people: ReadonlyArray<{ organizationId: string; userId: string; receivedAt: Date }>,
  ): Promise<Array<{ organizationId: string; userId: string; erasedAt: Date }>> {
    if (people.length === 0) return [];
    return this.db.read<{ organizationId: string; userId: string; erasedAt: Date }>(
      `SELECT p.org AS "organizationId", p.uid AS "userId", max(e."erasedAt") AS "erasedAt"
       FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS p(org, uid, received)
       JOIN erasures e ON e."organizationId" = p.org AND e."erasedAt" >= p.received AND e."userId" = p.uid
       GROUP BY p.org, p.uid`,
      [people.map((p) => p.organizationId), people.map((p) => p.userId), people.map((p) => p.receivedAt)],
    );
  }

  /** The organization's erasures, newest first. */
  async list(organizationId: string, limit: number): Promise<ErasureRecord[]> {
    const rows = await this.db.read<ErasureRow>(
      `SELECT id, "organizationId", "userId", "requestedBy", events, "erasedAt" FROM erasures WHERE "organizationId" = $1 ORDER BY "erasedAt" DESC, id LIMIT $2`,
      [organizationId, limit],
    );
    return rows.map(toRecord);
  }
}
