import { Injectable } from '@nestjs/common';
import { erasedEvent, metadataJson, POSTGRES_EVENT_COLUMNS, type AuditEvent } from '@audit/contracts';
import { Database, type Sql } from './database';
import { erasedInSql, LOCK_ORGANIZATIONS_FOR_WRITE } from './erasure-lock';

// The id registry decides: an event is inserted only when this statement claimed its ("organizationId", id)
// in audit_event_ids. A resend (any "createdAt") or a concurrent writer's copy finds the id taken and is
// skipped; a concurrent claim waits for the other transaction and then skips, or claims if that one rolled back.
// The events' own ON CONFLICT only guards rows that bypassed the registry (an earlier release's writer
// during an upgrade, rows put in by hand): such a copy is skipped rather than dead-lettered.
// The column list is the event table's; the input's arrays (insertEvents) follow it, one per column.
// An event whose person was erased at or after it was received (a batch that lagged on the bus, or was
// decoded before the erasure and stored after it) goes in as the erasure left the others
// (ErasuresRepository.eraseUser; the rule is isErasedBy's): later events are new activity, stored whole.
// The erasure lock (erasure-lock.ts), taken before this statement, makes sure it sees every erasure
// committed before, and that no erasure commits while its rows are uncommitted.
const INSERT_EVENTS = `
  WITH input AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[],
                         $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[])
      AS t(id, org, action, uid, ip, rt, page, query, resource, meta, created, received)
  ), claimed AS (
    INSERT INTO audit_event_ids ("organizationId", id, "createdAt")
    SELECT org, id, created FROM input
    ON CONFLICT DO NOTHING
    RETURNING "organizationId", id
  )
  INSERT INTO audit_trail_events (${POSTGRES_EVENT_COLUMNS.map((c) => `"${c}"`).join(', ')})
  SELECT i.id, i.org, i.action,
         CASE WHEN x.erased THEN NULL ELSE i.uid END, CASE WHEN x.erased THEN NULL ELSE i.ip END,
         CASE WHEN x.erased THEN NULL ELSE i.rt END, CASE WHEN x.erased THEN NULL ELSE i.page END,
         CASE WHEN x.erased THEN NULL ELSE i.query END, CASE WHEN x.erased THEN NULL ELSE i.resource END,
         CASE WHEN x.erased THEN '{}'::jsonb ELSE i.meta::jsonb END, i.created, i.received
  FROM input i JOIN claimed c ON c."organizationId" = i.org AND c.id = i.id
  CROSS JOIN LATERAL (
    SELECT i.uid IS NOT NULL AND ${erasedInSql('i.org', 'i.uid', 'i.received')} AS erased
  ) x
  ON CONFLICT DO NOTHING
  RETURNING "organizationId", id, "userId"`;

// A user belongs to its organization: each organization's snapshot updates its own row only.
const UPSERT_USERS = `
  INSERT INTO users AS u ("organizationId", id, email, "userName")
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
  ON CONFLICT ("organizationId", id) DO UPDATE
    SET email = EXCLUDED.email, "userName" = EXCLUDED."userName", "updatedAt" = now()
    WHERE (u.email, u."userName") IS DISTINCT FROM (EXCLUDED.email, EXCLUDED."userName")`;

/** The writer's hot path: one transaction per batch, idempotent by event id within its organization, for all time. */
@Injectable()
export class AuditEventsWriteRepository {
  constructor(private readonly db: Database) {}

  /**
   * Inserts the events whose id their organization has never used (a repeated id is skipped, whatever its
   * `createdAt` and however long ago the first was stored or purged) and upserts the users of the events
   * inserted (a skipped copy changes nothing: a late resend must not put back an older snapshot); returns
   * the rows really inserted. An event of a person erased since it was received is stored emptied, and
   * its user snapshot is not upserted.
   */
  async writeBatch(events: readonly AuditEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    return this.db.transaction(async (client) => {
      await client.query(LOCK_ORGANIZATIONS_FOR_WRITE, [events.map((e) => e.organizationId)]);
      const { stored, erased } = await insertEvents(client, events);
      await upsertUsers(client, stored);
      await eraseLeaves(client, erased);
      return stored.length;
    });
  }
}

/** The events of the batch that were inserted, as they were stored, and those of them stored emptied. */
async function insertEvents(client: Sql, batch: readonly AuditEvent[]): Promise<{ stored: AuditEvent[]; erased: AuditEvent[] }> {
  const events = firstOfEachId(batch);
  const columns: unknown[][] = Array.from({ length: POSTGRES_EVENT_COLUMNS.length }, () => new Array<unknown>(events.length));
  events.forEach((e, i) => {
    columns[0][i] = e.id;
    columns[1][i] = e.organizationId;
    columns[2][i] = e.actionType;
    columns[3][i] = e.userId;
    columns[4][i] = e.ipAddress;
    columns[5][i] = e.responseTimeMs;
    columns[6][i] = e.pageName;
    columns[7][i] = e.queryName;
    columns[8][i] = e.resourceName;
    columns[9][i] = metadataJson(e.metadata);
    columns[10][i] = e.createdAt;
    columns[11][i] = e.receivedAt;
  });
  const { rows } = await client.query<{ organizationId: string; id: string; userId: string | null }>(INSERT_EVENTS, columns);
  const storedUser = new Map(rows.map((r) => [idKey(r.organizationId, r.id), r.userId]));
  const stored: AuditEvent[] = [];
  const erased: AuditEvent[] = [];
  for (const e of events) {
    const userId = storedUser.get(idKey(e.organizationId, e.id));
    if (userId === undefined) continue;
    // A person's event stored without them: INSERT_EVENTS emptied it.
    if (e.userId !== null && userId === null) {
      erased.push(e);
      stored.push(erasedEvent(e));
    } else stored.push(e);
  }
  return { stored, erased };
}

/**
 * A sealer ahead of the writer may have sealed an event the erasure could not find (it was not stored yet):
 * its leaf keeps the salt and snapshot. Once the event is stored emptied, its leaf loses them too, as the
 * erasure leaves the others. A leaf sealed later (uncommitted now) is the sealer's to empty: it applies the
 * erasure itself (TransparencyLogRepository's append). Runs only for batches with an erased event.
 */
async function eraseLeaves(client: Sql, erased: readonly AuditEvent[]): Promise<void> {
  if (erased.length === 0) return;
  await client.query(
    `UPDATE log_leaves l SET salt = NULL, "user" = NULL
     FROM unnest($1::text[], $2::uuid[]) AS t(org, id)
     WHERE l."organizationId" = t.org AND l."eventId" = t.id AND (l.salt IS NOT NULL OR l."user" IS NOT NULL)`,
    [erased.map((e) => e.organizationId), erased.map((e) => e.id)],
  );
}

const idKey = (organizationId: string, id: string): string => `${organizationId}\u0000${id}`;

/**
 * One event per (organization, id), the first of the batch (the order the bus delivered them), sorted by
 * that key: two copies of an id in one statement would both join the one registry row they claimed, and
 * claiming in key order keeps concurrent writers from deadlocking on each other's ids.
 */
function firstOfEachId(batch: readonly AuditEvent[]): AuditEvent[] {
  const first = new Map<string, AuditEvent>();
  for (const event of batch) {
    const key = idKey(event.organizationId, event.id);
    if (!first.has(key)) first.set(key, event);
  }
  return [...first.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, event]) => event);
}

interface UserSnapshot {
  organizationId: string;
  id: string;
  email: string;
  userName: string;
  createdAt: string;
}

async function upsertUsers(client: Sql, events: readonly AuditEvent[]): Promise<void> {
  // The newest snapshot of each user of each organization wins; sorting by key keeps lock order stable
  // across concurrent writers.
  const latest = new Map<string, UserSnapshot>();
  for (const { organizationId, userId, user, createdAt } of events) {
    if (userId === null || user === null) continue;
    const key = idKey(organizationId, userId);
    const seen = latest.get(key);
    if (!seen || seen.createdAt <= createdAt) latest.set(key, { organizationId, id: userId, email: user.email, userName: user.userName, createdAt });
  }
  if (latest.size === 0) return;
  const rows = [...latest.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, user]) => user);
  await client.query(UPSERT_USERS, [
    rows.map((u) => u.organizationId),
    rows.map((u) => u.id),
    rows.map((u) => u.email),
    rows.map((u) => u.userName),
  ]);
}
