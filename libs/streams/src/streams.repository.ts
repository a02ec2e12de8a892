import { Injectable } from '@nestjs/common';
import { Database } from '@audit/persistence';
import type { DeliveryRecord } from '@audit/contracts';
import type { StreamInput, StreamRecord } from './model';

/**
 * The `streams` columns as a {@link StreamRecord}: the sealed secrets under their record name, the replay's
 * last sequence (bigint, which pg answers as text) as a number (float8 holds every sequence exactly).
 */
const RECORD = `id, "organizationId", name, destination, secrets AS "sealedSecrets", filter, format, status, "lastError", "statusChangedAt",
  "replayId", "replayFrom", "replayUntilSeq"::float8 AS "replayUntilSeq", "createdAt", "updatedAt"`;

/** What a create or a replace writes: the definition, its secrets sealed. */
export type StreamWrite = Pick<StreamRecord, 'id' | 'organizationId' | 'sealedSecrets'> & Omit<StreamInput, 'secrets'>;

/** Every statement on `streams` and `stream_deliveries`. Reads an API makes take the organization. */
@Injectable()
export class StreamsRepository {
  constructor(private readonly db: Database) {}

  private async rows(sql: string, params: unknown[]): Promise<StreamRecord[]> {
    return (await this.db.query<StreamRecord>(sql, params)).rows;
  }

  async list(organizationId: string): Promise<StreamRecord[]> {
    return this.rows(`SELECT ${RECORD} FROM streams WHERE "organizationId" = $1 ORDER BY name`, [organizationId]);
  }

  async get(organizationId: string, id: string): Promise<StreamRecord | undefined> {
    return (await this.rows(`SELECT ${RECORD} FROM streams WHERE "organizationId" = $1 AND id = $2`, [organizationId, id]))[0];
  }

  /** Every organization's streams: what the streams service runs. */
  async all(): Promise<StreamRecord[]> {
    return this.rows(`SELECT ${RECORD} FROM streams ORDER BY "createdAt", id`, []);
  }

  /** Inserts a stream; undefined when the organization already has one of that name. */
  async create(stream: StreamWrite): Promise<StreamRecord | undefined> {
    return (
      await this.rows(
        `INSERT INTO streams (id, "organizationId", name, destination, secrets, filter, format, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT ("organizationId", name) DO NOTHING RETURNING ${RECORD}`,
        [stream.id, stream.organizationId, stream.name, JSON.stringify(stream.destination), stream.sealedSecrets, JSON.stringify(stream.filter), stream.format, stream.paused ? 'paused' : 'active'],
      )
    )[0];
  }

  /**
   * Replaces a stream's definition. Pausing or un-pausing changes the status; otherwise a failing stream
   * stays failing until a delivery succeeds. Undefined when no such stream (or the name is taken).
   */
  async replace(stream: StreamWrite): Promise<StreamRecord | undefined> {
    return (
      await this.rows(
        `UPDATE streams SET name = $3, destination = $4, secrets = $5, filter = $6, format = $7, "updatedAt" = now(),
           status = CASE WHEN $8 THEN 'paused' WHEN status = 'paused' THEN 'active' ELSE status END,
           "lastError" = CASE WHEN $8 OR status = 'paused' THEN NULL ELSE "lastError" END,
           "statusChangedAt" = CASE WHEN ($8 AND status <> 'paused') OR (NOT $8 AND status = 'paused') THEN now() ELSE "statusChangedAt" END
         WHERE "organizationId" = $1 AND id = $2
           AND NOT EXISTS (SELECT 1 FROM streams o WHERE o."organizationId" = $1 AND o.name = $3 AND o.id <> $2)
         RETURNING ${RECORD}`,
        [stream.organizationId, stream.id, stream.name, JSON.stringify(stream.destination), stream.sealedSecrets, JSON.stringify(stream.filter), stream.format, stream.paused],
      )
    )[0];
  }

  async delete(organizationId: string, id: string): Promise<boolean> {
    const result = await this.db.query(`DELETE FROM streams WHERE "organizationId" = $1 AND id = $2`, [organizationId, id]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Pause or resume (a resumed stream is active until a delivery fails again). */
  async setPaused(organizationId: string, id: string, paused: boolean): Promise<StreamRecord | undefined> {
    return (
      await this.rows(
        `UPDATE streams SET status = $3, "lastError" = NULL, "updatedAt" = now(),
           "statusChangedAt" = CASE WHEN status = $3 THEN "statusChangedAt" ELSE now() END
         WHERE "organizationId" = $1 AND id = $2 RETURNING ${RECORD}`,
        [organizationId, id, paused ? 'paused' : 'active'],
      )
    )[0];
  }

  /** A delivery's effect on the state: failing with the error, or active again. A paused stream stays paused. */
  async setHealth(id: string, failing: string | null): Promise<void> {
    await this.db.query(
      `UPDATE streams SET status = $2, "lastError" = $3, "statusChangedAt" = CASE WHEN status = $2 THEN "statusChangedAt" ELSE now() END
       WHERE id = $1 AND status <> 'paused' AND (status <> $2 OR "lastError" IS DISTINCT FROM $3)`,
      [id, failing === null ? 'active' : 'failing', failing],
    );
  }

  async startReplay(organizationId: string, id: string, replayId: string, from: Date, untilSeq: number): Promise<StreamRecord | undefined> {
    return (
      await this.rows(
        `UPDATE streams SET "replayId" = $3, "replayFrom" = $4, "replayUntilSeq" = $5 WHERE "organizationId" = $1 AND id = $2 RETURNING ${RECORD}`,
        [organizationId, id, replayId, from, untilSeq],
      )
    )[0];
  }

  /** Ends the replay `replayId` (a newer replay that replaced it is left alone). */
  async finishReplay(id: string, replayId: string): Promise<void> {
    await this.db.query(`UPDATE streams SET "replayId" = NULL, "replayFrom" = NULL, "replayUntilSeq" = NULL WHERE id = $1 AND "replayId" = $2`, [id, replayId]);
  }

  /**
   * This replica's heartbeat; answers how many replicas are alive (seen within `ttlMs`), itself included.
   * Replicas gone for long are forgotten.
   */
  async heartbeat(replicaId: string, ttlMs: number): Promise<number> {
    await this.db.query(`INSERT INTO stream_replicas (id, "seenAt") VALUES ($1, now()) ON CONFLICT (id) DO UPDATE SET "seenAt" = now()`, [replicaId]);
    await this.db.query(`DELETE FROM stream_replicas WHERE "seenAt" < now() - $1 * interval '1 millisecond'`, [ttlMs * 10]);
    const [{ live }] = (await this.db.query<{ live: string }>(`SELECT count(*) AS live FROM stream_replicas WHERE "seenAt" >= now() - $1 * interval '1 millisecond'`, [ttlMs])).rows;
    return Math.max(1, Number(live));
  }

  /**
   * Renews the leases this replica holds on unpaused streams and takes free or expired ones up to `share` in
   * all; answers each stream it holds with its previous holder (itself for a renewal, null for a free one;
   * possibly more than `share`: see `release`).
   */
  async claim(replicaId: string, ttlMs: number, share: number): Promise<Array<{ id: string; previousOwner: string | null }>> {
    const result = await this.db.query<{ id: string; previousOwner: string | null }>(
      `WITH mine AS (
         UPDATE streams SET "leaseExpiresAt" = now() + $2 * interval '1 millisecond'
         WHERE "leaseOwner" = $1 AND status <> 'paused' RETURNING id
       ), free AS (
         SELECT id, "leaseOwner" AS owner FROM streams
         WHERE status <> 'paused' AND ("leaseOwner" IS NULL OR "leaseExpiresAt" < now()) AND "leaseOwner" IS DISTINCT FROM $1
         ORDER BY "leaseExpiresAt" NULLS FIRST, id
         LIMIT GREATEST(0, $3 - (SELECT count(*) FROM mine))
         FOR UPDATE SKIP LOCKED
       ), taken AS (
         UPDATE streams s SET "leaseOwner" = $1, "leaseExpiresAt" = now() + $2 * interval '1 millisecond' FROM free WHERE s.id = free.id
         RETURNING s.id, free.owner
       )
       SELECT id, $1::uuid AS "previousOwner" FROM mine UNION ALL SELECT id, owner AS "previousOwner" FROM taken`,
      [replicaId, ttlMs, share],
    );
    return result.rows;
  }

  /** Gives up this replica's lease on a stream (after its worker stopped), for another replica to take. */
  async release(replicaId: string, id: string): Promise<void> {
    await this.db.query(`UPDATE streams SET "leaseOwner" = NULL, "leaseExpiresAt" = NULL WHERE id = $1 AND "leaseOwner" = $2`, [id, replicaId]);
  }

  /** Records one delivery attempt (now) and trims the stream's history to its newest `keep` records. */
  async recordDelivery(streamId: string, delivery: Omit<DeliveryRecord, 'at'>, keep: number): Promise<void> {
    await this.recordDeliveries(streamId, [{ ...delivery, at: new Date() }], keep);
  }

  /**
   * Records delivery attempts, oldest first, in one statement, and trims the stream's history to its newest
   * `keep` records (of the attempts, only the newest `keep` are written: the rest would be trimmed at once).
   */
  async recordDeliveries(streamId: string, deliveries: ReadonlyArray<Omit<DeliveryRecord, 'at'> & { at: Date }>, keep: number): Promise<void> {
    const kept = deliveries.slice(-keep);
    if (kept.length === 0) return;
    await this.db.query(
      `WITH added AS (
         INSERT INTO stream_deliveries ("streamId", at, events, status, "latencyMs", error, replay)
         SELECT $1, a.at, a.events, a.status, a."latencyMs", a.error, a.replay
         FROM unnest($2::timestamptz[], $3::int[], $4::text[], $5::int[], $6::text[], $7::bool[]) WITH ORDINALITY
           AS a(at, events, status, "latencyMs", error, replay, n)
         ORDER BY a.n
         RETURNING id
       )
       DELETE FROM stream_deliveries WHERE "streamId" = $1 AND id <= (SELECT max(id) - $8 FROM added)`,
      [
        streamId,
        kept.map((d) => d.at),
        kept.map((d) => d.events),
        kept.map((d) => d.status),
        kept.map((d) => d.latencyMs),
        kept.map((d) => d.error),
        kept.map((d) => d.replay),
        keep,
      ],
    );
  }

  async deliveries(organizationId: string, id: string, limit: number): Promise<DeliveryRecord[]> {
    const result = await this.db.query<{ at: Date; events: number; status: DeliveryRecord['status']; latencyMs: number; error: string | null; replay: boolean }>(
      `SELECT d.at, d.events, d.status, d."latencyMs", d.error, d.replay FROM stream_deliveries d JOIN streams s ON s.id = d."streamId"
       WHERE s."organizationId" = $1 AND d."streamId" = $2 ORDER BY d.id DESC LIMIT $3`,
      [organizationId, id, limit],
    );
    return result.rows.map((r) => ({ ...r, at: r.at.toISOString() }));
  }
}
