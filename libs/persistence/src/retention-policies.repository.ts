import { Inject, Injectable } from '@nestjs/common';
import { PERSISTENCE_CONFIG, type PersistenceConfig } from './config';
import { Database } from './database';

/** A legal hold: while present, nothing of the organization is deleted anywhere. */
export interface LegalHold {
  reason: string;
  heldAt: Date;
  heldBy: string | null;
}

/** An organization's retention as stored plus what it resolves to. */
export interface RetentionPolicy {
  organizationId: string;
  /** The organization's own override, or null when it follows the global default. */
  days: number | null;
  /** What applies: the override, else the global default. 0 = keep forever. */
  effectiveDays: number;
  defaultDays: number;
  hold: LegalHold | null;
  updatedAt: Date | null;
}

interface PolicyRow {
  organizationId: string;
  days: number | null;
  holdReason: string | null;
  heldAt: Date | null;
  heldBy: string | null;
  updatedAt: Date;
}

/**
 * Per-organization retention overrides and legal holds (`retention_policies`). Organizations without
 * a row follow `AUDIT_RETENTION_DAYS`.
 */
@Injectable()
export class RetentionPoliciesRepository {
  constructor(
    private readonly db: Database,
    @Inject(PERSISTENCE_CONFIG) private readonly config: PersistenceConfig,
  ) {}

  /** The global default in days (0 = keep forever). */
  get defaultDays(): number {
    return this.config.retentionDays;
  }

  /** Days of events the organization keeps: its override, else the global default. 0 = forever. */
  async effectiveDays(organizationId: string): Promise<number> {
    return (await this.get(organizationId)).effectiveDays;
  }

  async get(organizationId: string): Promise<RetentionPolicy> {
    const { rows } = await this.db.query<PolicyRow>('SELECT * FROM retention_policies WHERE "organizationId" = $1', [organizationId]);
    return this.toPolicy(organizationId, rows[0]);
  }

  /** Every organization that has an override or a hold, by id. */
  async list(): Promise<RetentionPolicy[]> {
    const { rows } = await this.db.query<PolicyRow>('SELECT * FROM retention_policies ORDER BY "organizationId"');
    return rows.map((row) => this.toPolicy(row.organizationId, row));
  }

  /** Sets the organization's override; `null` falls back to the global default. */
  async setDays(organizationId: string, days: number | null): Promise<RetentionPolicy> {
    if (days !== null && (!Number.isInteger(days) || days < 0)) throw new RangeError('days must be an integer >= 0 or null');
    await this.db.query(
      `INSERT INTO retention_policies ("organizationId", days) VALUES ($1, $2)
       ON CONFLICT ("organizationId") DO UPDATE SET days = EXCLUDED.days, "updatedAt" = now()`,
      [organizationId, days],
    );
    return this.get(organizationId);
  }

  /** Places (or renews the reason of) a legal hold. */
  async hold(organizationId: string, reason: string, heldBy: string | null = null): Promise<RetentionPolicy> {
    await this.db.query(
      `INSERT INTO retention_policies ("organizationId", "holdReason", "heldAt", "heldBy") VALUES ($1, $2, now(), $3)
       ON CONFLICT ("organizationId") DO UPDATE
         SET "holdReason" = EXCLUDED."holdReason", "heldAt" = EXCLUDED."heldAt", "heldBy" = EXCLUDED."heldBy", "updatedAt" = now()`,
      [organizationId, reason, heldBy],
    );
    return this.get(organizationId);
  }

  /** Lifts a legal hold; returns false when the organization was not held. */
  async release(organizationId: string): Promise<boolean> {
    const result = await this.db.query(
      `UPDATE retention_policies SET "holdReason" = NULL, "heldAt" = NULL, "heldBy" = NULL, "updatedAt" = now()
       WHERE "organizationId" = $1 AND "holdReason" IS NOT NULL`,
      [organizationId],
    );
    return (result.rowCount ?? 0) > 0;
  }

  private toPolicy(organizationId: string, row: PolicyRow | undefined): RetentionPolicy {
    const days = row?.days ?? null;
    return {
      organizationId,
      days,
      effectiveDays: days ?? this.config.retentionDays,
      defaultDays: this.config.retentionDays,
      hold: row?.holdReason != null && row.heldAt ? { reason: row.holdReason, heldAt: row.heldAt, heldBy: row.heldBy } : null,
      updatedAt: row?.updatedAt ?? null,
    };
  }
}
