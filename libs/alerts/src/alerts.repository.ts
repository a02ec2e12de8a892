import { Injectable } from '@nestjs/common';
import { Database } from '@audit/persistence';
import type { AlertCondition, GroupCount } from './conditions';
import type { AlertRecord, DeliveryStatus, FiringRecord, SavedSearchRecord } from './model';

type AlertRow = Omit<AlertRecord, 'sealedSecret'> & { secret: string };

const toAlert = ({ secret, ...row }: AlertRow): AlertRecord => ({ ...row, sealedSecret: secret });

const ALERTS = `SELECT a.*, COALESCE(a.query, s.query) AS search FROM alerts a LEFT JOIN saved_searches s ON s.id = a."savedSearchId"`;

export interface AlertWrite {
  id: string;
  organizationId: string;
  name: string;
  savedSearchId: string | null;
  query: string | null;
  condition: AlertCondition;
  webhookUrl: string;
  sealedSecret: string;
  enabled: boolean;
}

/** A firing to store with the minute that produced it. */
export interface NewFiring {
  id: string;
  alertName: string;
  search: string;
  windowFrom: Date;
  groups: GroupCount[];
  firedAt: Date;
}

/** A firing awaiting delivery, with where to deliver it. */
export interface PendingFiring extends FiringRecord {
  webhookUrl: string;
  sealedSecret: string;
}

/** The driver's foreign-key violation: a saved search still watched by an alert, or one deleted meanwhile. */
const isForeignKeyViolation = (error: unknown): boolean => (error as { code?: unknown } | null)?.code === '23503';

/**
 * Every statement on `saved_searches`, `alerts` and `alert_firings`. What an API reads or changes takes
 * the organization; the evaluator's statements (every organization's due alerts, deliveries) take ids.
 */
@Injectable()
export class AlertsRepository {
  constructor(private readonly db: Database) {}

  async listSearches(organizationId: string): Promise<SavedSearchRecord[]> {
    return (await this.db.query<SavedSearchRecord>(`SELECT * FROM saved_searches WHERE "organizationId" = $1 ORDER BY name`, [organizationId])).rows;
  }

  async getSearch(organizationId: string, id: string): Promise<SavedSearchRecord | undefined> {
    return (await this.db.query<SavedSearchRecord>(`SELECT * FROM saved_searches WHERE "organizationId" = $1 AND id = $2`, [organizationId, id])).rows[0];
  }

  /** Undefined when the organization already has a saved search of that name. */
  async createSearch(search: Pick<SavedSearchRecord, 'id' | 'organizationId' | 'name' | 'query'>): Promise<SavedSearchRecord | undefined> {
    const result = await this.db.query<SavedSearchRecord>(
      `INSERT INTO saved_searches (id, "organizationId", name, query) VALUES ($1, $2, $3, $4) ON CONFLICT ("organizationId", name) DO NOTHING RETURNING *`,
      [search.id, search.organizationId, search.name, search.query],
    );
    return result.rows[0];
  }

  /** Undefined when there is no such saved search or another one has the name. */
  async updateSearch(organizationId: string, id: string, name: string, query: string): Promise<SavedSearchRecord | undefined> {
    const result = await this.db.query<SavedSearchRecord>(
      `UPDATE saved_searches SET name = $3, query = $4, "updatedAt" = now()
       WHERE "organizationId" = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM saved_searches o WHERE o."organizationId" = $1 AND o.name = $3 AND o.id <> $2)
       RETURNING *`,
      [organizationId, id, name, query],
    );
    return result.rows[0];
  }

  /** `in_use` while an alert watches it (the alert must be deleted or pointed elsewhere first). */
  async deleteSearch(organizationId: string, id: string): Promise<'deleted' | 'not_found' | 'in_use'> {
    try {
      const result = await this.db.query(`DELETE FROM saved_searches WHERE "organizationId" = $1 AND id = $2`, [organizationId, id]);
      return (result.rowCount ?? 0) > 0 ? 'deleted' : 'not_found';
    } catch (error) {
      if (isForeignKeyViolation(error)) return 'in_use';
      throw error;
    }
  }

  /** Names of the organization's alerts that watch a saved search. */
  async alertsWatching(organizationId: string, savedSearchId: string): Promise<string[]> {
    const result = await this.db.query<{ name: string }>(`SELECT name FROM alerts WHERE "organizationId" = $1 AND "savedSearchId" = $2 ORDER BY name`, [organizationId, savedSearchId]);
    return result.rows.map((r) => r.name);
  }

  async listAlerts(organizationId: string): Promise<AlertRecord[]> {
    return (await this.db.query<AlertRow>(`${ALERTS} WHERE a."organizationId" = $1 ORDER BY a.name`, [organizationId])).rows.map(toAlert);
  }

  async getAlert(organizationId: string, id: string): Promise<AlertRecord | undefined> {
    return (await this.db.query<AlertRow>(`${ALERTS} WHERE a."organizationId" = $1 AND a.id = $2`, [organizationId, id])).rows.map(toAlert)[0];
  }

  /**
   * Inserts an alert whose first window ends one minute after `since`. Undefined when the name is taken;
   * `search_gone` when the saved search was deleted meanwhile.
   */
  async createAlert(alert: AlertWrite, since: Date): Promise<AlertRecord | 'name_taken' | 'search_gone'> {
    try {
      const result = await this.db.query<{ id: string }>(
        `INSERT INTO alerts (id, "organizationId", name, "savedSearchId", query, condition, "webhookUrl", secret, enabled, "evaluatedUntil")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT ("organizationId", name) DO NOTHING RETURNING id`,
        [alert.id, alert.organizationId, alert.name, alert.savedSearchId, alert.query, JSON.stringify(alert.condition), alert.webhookUrl, alert.sealedSecret, alert.enabled, since],
      );
      if (result.rows.length === 0) return 'name_taken';
    } catch (error) {
      if (isForeignKeyViolation(error)) return 'search_gone';
      throw error;
    }
    return (await this.getAlert(alert.organizationId, alert.id)) as AlertRecord;
  }

  /**
   * Replaces an alert's definition. One re-enabled resumes at `since` (the minutes it was off are not
   * evaluated after the fact); otherwise its position is kept. Same answers as {@link createAlert}, and
   * `not_found`.
   */
  async updateAlert(alert: AlertWrite, since: Date): Promise<AlertRecord | 'not_found' | 'name_taken' | 'search_gone'> {
    try {
      const result = await this.db.query<{ id: string }>(
        `UPDATE alerts SET name = $3, "savedSearchId" = $4, query = $5, condition = $6, "webhookUrl" = $7, secret = $8,
           "evaluatedUntil" = CASE WHEN $9 AND NOT enabled THEN $10 ELSE "evaluatedUntil" END, enabled = $9, "updatedAt" = now()
         WHERE "organizationId" = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM alerts o WHERE o."organizationId" = $1 AND o.name = $3 AND o.id <> $2)
         RETURNING id`,
        [alert.organizationId, alert.id, alert.name, alert.savedSearchId, alert.query, JSON.stringify(alert.condition), alert.webhookUrl, alert.sealedSecret, alert.enabled, since],
      );
      if (result.rows.length === 0) return (await this.getAlert(alert.organizationId, alert.id)) ? 'name_taken' : 'not_found';
    } catch (error) {
      if (isForeignKeyViolation(error)) return 'search_gone';
      throw error;
    }
    return (await this.getAlert(alert.organizationId, alert.id)) as AlertRecord;
  }

  async deleteAlert(organizationId: string, id: string): Promise<boolean> {
    const result = await this.db.query(`DELETE FROM alerts WHERE "organizationId" = $1 AND id = $2`, [organizationId, id]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Every organization's enabled alerts with a minute left to evaluate up to `until`, oldest position first. */
  async dueAlerts(until: Date): Promise<AlertRecord[]> {
    return (await this.db.query<AlertRow>(`${ALERTS} WHERE a.enabled AND a."evaluatedUntil" < $1 ORDER BY a."evaluatedUntil", a.id`, [until])).rows.map(toAlert);
  }

  /**
   * Records that the alert's minute ending at `to` was evaluated, and its firing if it fired, in one
   * transaction; only from the position `from` it was evaluated at (so a minute is never counted twice,
   * whoever else evaluated it). False when the alert moved on, was disabled or deleted meanwhile: nothing
   * is stored then.
   */
  async advance(alertId: string, from: Date, to: Date, firing?: NewFiring): Promise<boolean> {
    return this.db.transaction(async (sql) => {
      const moved = await sql.query(
        `UPDATE alerts SET "evaluatedUntil" = $3, "firedUntil" = CASE WHEN $4 THEN $3 ELSE "firedUntil" END
         WHERE id = $1 AND enabled AND "evaluatedUntil" = $2 RETURNING id`,
        [alertId, from, to, firing !== undefined],
      );
      if (moved.rows.length === 0) return false;
      if (firing) {
        await sql.query(
          `INSERT INTO alert_firings (id, "alertId", "organizationId", "alertName", search, "windowFrom", "windowTo", groups, "firedAt", "nextAttemptAt")
           SELECT $1, id, "organizationId", $3, $4, $5, $6, $7, $8, $8 FROM alerts WHERE id = $2
           ON CONFLICT ("alertId", "windowTo") DO NOTHING`,
          [firing.id, alertId, firing.alertName, firing.search, firing.windowFrom, to, JSON.stringify(firing.groups), firing.firedAt],
        );
      }
      return true;
    });
  }

  /** The organization's firings, newest first (one alert's when `alertId` is given). */
  async firings(organizationId: string, alertId: string | undefined, limit: number): Promise<FiringRecord[]> {
    const result = await this.db.query<FiringRecord>(
      `SELECT * FROM alert_firings WHERE "organizationId" = $1 AND ($2::uuid IS NULL OR "alertId" = $2) ORDER BY "firedAt" DESC, id LIMIT $3`,
      [organizationId, alertId ?? null, limit],
    );
    return result.rows;
  }

  /** Firings whose next delivery attempt is due at `now`, oldest first. */
  async pendingDeliveries(now: Date, limit: number): Promise<PendingFiring[]> {
    const result = await this.db.query<PendingFiring>(
      `SELECT f.*, a."webhookUrl", a.secret AS "sealedSecret" FROM alert_firings f JOIN alerts a ON a.id = f."alertId"
       WHERE f.status = 'pending' AND f."nextAttemptAt" <= $1 ORDER BY f."nextAttemptAt", f.id LIMIT $2`,
      [now, limit],
    );
    return result.rows;
  }

  async markRecorded(id: string, at: Date): Promise<void> {
    await this.db.query(`UPDATE alert_firings SET "recordedAt" = $2 WHERE id = $1 AND "recordedAt" IS NULL`, [id, at]);
  }

  /** One delivery attempt's outcome: delivered, failed and retried at `retryAt`, or failed for good (`retryAt` null). */
  async markAttempt(id: string, outcome: { status: DeliveryStatus; at: Date; error: string | null; retryAt: Date | null }): Promise<void> {
    await this.db.query(
      `UPDATE alert_firings SET attempts = attempts + 1, status = $2, "lastError" = $3,
         "deliveredAt" = CASE WHEN $2 = 'delivered' THEN $4::timestamptz ELSE NULL END, "nextAttemptAt" = COALESCE($5, "nextAttemptAt")
       WHERE id = $1`,
      [id, outcome.status, outcome.error, outcome.at, outcome.retryAt],
    );
  }
}
