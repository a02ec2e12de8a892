import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per-organization streams (libs/streams): a destination (its secrets encrypted apart in `secrets`), an
 * optional filter, a format and a state. `replayFrom`/`replayUntilSeq` describe the replay in progress (its
 * own consumer, named by `replayId`). `stream_deliveries` keeps each stream's recent delivery attempts for
 * `GET /v1/streams/:id/deliveries`; the service trims it to the newest few hundred per stream. A stream is
 * delivered by one replica at a time, the holder of its lease (`leaseOwner` until `leaseExpiresAt`), so its
 * order holds; `stream_replicas` is each live replica's heartbeat, from which a replica takes its share.
 */
export class Streams1764900000000 implements MigrationInterface {
  name = 'Streams1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE streams (
        id uuid PRIMARY KEY,
        "organizationId" text NOT NULL,
        name text NOT NULL,
        destination jsonb NOT NULL,
        secrets text NULL,
        filter jsonb NOT NULL DEFAULT '{}',
        format text NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'failing')),
        "lastError" text NULL,
        "statusChangedAt" timestamptz NOT NULL DEFAULT now(),
        "replayId" uuid NULL,
        "replayFrom" timestamptz NULL,
        "replayUntilSeq" bigint NULL,
        "leaseOwner" uuid NULL,
        "leaseExpiresAt" timestamptz NULL,
        "createdAt" timestamptz NOT NULL DEFAULT now(),
        "updatedAt" timestamptz NOT NULL DEFAULT now(),
        UNIQUE ("organizationId", name)
      )`);
    await q.query(`
      CREATE TABLE stream_deliveries (
        id bigserial PRIMARY KEY,
        "streamId" uuid NOT NULL REFERENCES streams (id) ON DELETE CASCADE,
        at timestamptz NOT NULL DEFAULT now(),
        events integer NOT NULL,
        status text NOT NULL CHECK (status IN ('delivered', 'failed', 'dead_lettered')),
        "latencyMs" integer NOT NULL,
        error text NULL,
        replay boolean NOT NULL DEFAULT false
      )`);
    await q.query(`CREATE INDEX stream_deliveries_stream_idx ON stream_deliveries ("streamId", id DESC)`);
    await q.query(`CREATE TABLE stream_replicas (id uuid PRIMARY KEY, "seenAt" timestamptz NOT NULL DEFAULT now())`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE stream_replicas`);
    await q.query(`DROP TABLE stream_deliveries`);
    await q.query(`DROP TABLE streams`);
  }
}
