import { Injectable } from '@nestjs/common';
import { retainedAfterPurge, type LogEntry, type SubtreeNode, type UnsealedRow, type VerifiedRow } from '@audit/transparency';
import { Database, type Sql } from './database';
import { LEAF_BYTES } from './transparency-log.repository';

/** What a walk of one organization's log reads first: its checkpoint, where it starts, the hashes kept of what was purged. */
export interface LogWalkStart {
  latestNote: string | undefined;
  /** Leaves in the log (after the purged prefix), for a progress bar. */
  leafCount: number;
  purgedBefore: number;
  frontier: SubtreeNode[];
  /** The latest cutoff of a Postgres retention purge that covered this organization. */
  purgedThrough: Date | null;
  /** The database's clock when the walk began. */
  now: Date;
}

/** Reads of one walk, all in the same snapshot. */
export interface LogWalk {
  start: LogWalkStart;
  /** Hands the leaves, each with its event's row, `pageSize` leaf indices at a time, in leaf order. */
  entries(pageSize: number, onPage: (entries: LogEntry[]) => Promise<void> | void): Promise<void>;
  /** The organization's rows that no leaf seals, `pageSize` at a time in id order (keyset pages: a large log never loads at once). */
  unsealed(pageSize: number, onPage: (rows: UnsealedRow[]) => Promise<void> | void): Promise<void>;
}

type EntryRow = {
  leafIndex: string;
  eventId: string;
  leaf: Buffer;
  salt: Buffer | null;
  user: LogEntry['user'];
  present: boolean;
} & VerifiedRow;

const ENTRIES = `
  SELECT l."leafIndex", l."eventId", ${LEAF_BYTES('l')} AS leaf, l.salt, l."user", e.id IS NOT NULL AS present,
         e.id, e."organizationId", e."actionType", e."userId", e."ipAddress", e."responseTimeMs", e."pageName", e."queryName",
         e."resourceName", e.metadata, e."createdAt", e."receivedAt"
  FROM log_leaves l
  LEFT JOIN audit_trail_events e ON e.id = l."eventId" AND e."organizationId" = l."organizationId"
  WHERE l."organizationId" = $1 AND l."leafIndex" >= $2 AND l."leafIndex" < $3
  ORDER BY l."leafIndex", e."createdAt"`;

// One keyset page of the rows no leaf seals: the next `$3` ids after `$2` (null: from the first).
const UNSEALED = `
  SELECT e.id, e."receivedAt" FROM audit_trail_events e
  WHERE e."organizationId" = $1 AND ($2::uuid IS NULL OR e.id > $2::uuid)
    AND NOT EXISTS (SELECT 1 FROM log_leaves l WHERE l."organizationId" = $1 AND l."eventId" = e.id)
  ORDER BY e.id
  LIMIT $3`;

/**
 * The reads of a full verification of one organization's log (`verify log`): its tables walked in one
 * read-only snapshot, so appends and checkpoints made meanwhile do not show half. The judgement is
 * `LogVerifier`'s (libs/transparency).
 */
@Injectable()
export class LogVerificationRepository {
  constructor(private readonly db: Database) {}

  async walk<T>(organizationId: string, work: (walk: LogWalk) => Promise<T>): Promise<T> {
    return this.db.transaction(
      async (sql) => {
        await sql.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const start = await readStart(sql, organizationId);
        return work({
          start,
          entries: async (pageSize, onPage) => {
            const { rows } = await sql.query<{ last: string | null }>(`SELECT max("leafIndex") AS last FROM log_leaves WHERE "organizationId" = $1`, [organizationId]);
            const last = rows[0].last === null ? -1 : Number(rows[0].last);
            for (let from = start.purgedBefore; from <= last; from += pageSize) {
              const page = await sql.query<EntryRow>(ENTRIES, [organizationId, from, from + pageSize]);
              await onPage(page.rows.map(toEntry));
            }
          },
          unsealed: async (pageSize, onPage) => {
            let after: string | null = null;
            for (;;) {
              const rows: UnsealedRow[] = (await sql.query<UnsealedRow>(UNSEALED, [organizationId, after, pageSize])).rows;
              if (rows.length > 0) await onPage(rows);
              if (rows.length < pageSize) return;
              after = rows[rows.length - 1].id;
            }
          },
        });
      },
      { timeout: false },
    );
  }
}

async function readStart(sql: Sql, organizationId: string): Promise<LogWalkStart> {
  const tree = await sql.query<{ purgedBefore: string; now: Date }>(`SELECT "purgedBefore", now() AS now FROM log_trees WHERE "organizationId" = $1`, [organizationId]);
  const purgedBefore = Number(tree.rows[0]?.purgedBefore ?? 0);
  const ids = retainedAfterPurge(purgedBefore);
  const nodes = await sql.query<{ level: number; index: string; hash: Buffer }>(
    `SELECT level, index, hash FROM log_nodes WHERE "organizationId" = $1 AND (level, index) IN (SELECT * FROM unnest($2::smallint[], $3::bigint[]))`,
    [organizationId, ids.map((n) => n.level), ids.map((n) => n.index)],
  );
  const byId = new Map(nodes.rows.map((n) => [`${n.level}:${n.index}`, n.hash]));
  const frontier = ids.flatMap((id) => {
    const hash = byId.get(`${id.level}:${id.index}`);
    return hash === undefined ? [] : [{ ...id, hash }];
  });
  const [latest, count, purged, now] = await Promise.all([
    sql.query<{ note: string }>(`SELECT note FROM log_checkpoints WHERE "organizationId" = $1 ORDER BY "treeSize" DESC LIMIT 1`, [organizationId]),
    sql.query<{ n: string }>(`SELECT count(*) AS n FROM log_leaves WHERE "organizationId" = $1 AND "leafIndex" >= $2`, [organizationId, purgedBefore]),
    sql.query<{ cutoff: Date | null }>(
      `SELECT max(cutoff) AS cutoff FROM retention_runs WHERE store = 'postgres' AND ok AND NOT "dryRun" AND ("organizationId" = $1 OR "organizationId" IS NULL)`,
      [organizationId],
    ),
    tree.rows[0]?.now ?? (await sql.query<{ now: Date }>('SELECT now() AS now')).rows[0].now,
  ]);
  return {
    latestNote: latest.rows[0]?.note,
    leafCount: Number(count.rows[0].n),
    purgedBefore,
    frontier,
    purgedThrough: purged.rows[0].cutoff,
    now,
  };
}

function toEntry(r: EntryRow): LogEntry {
  return {
    leafIndex: Number(r.leafIndex),
    eventId: r.eventId,
    leaf: r.leaf,
    salt: r.salt,
    user: r.user,
    row: r.present
      ? {
          id: r.id,
          organizationId: r.organizationId,
          actionType: r.actionType,
          userId: r.userId,
          ipAddress: r.ipAddress,
          responseTimeMs: r.responseTimeMs,
          pageName: r.pageName,
          queryName: r.queryName,
          resourceName: r.resourceName,
          metadata: r.metadata,
          createdAt: r.createdAt,
          receivedAt: r.receivedAt,
        }
      : null,
  };
}
