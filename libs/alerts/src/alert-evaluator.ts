import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ClickHouse } from '@audit/clickhouse';
import { ActivityRecorder, describe } from '@audit/messaging';
import { Database, SearchUsersRepository } from '@audit/persistence';
import { counter, gauge } from '@audit/platform';
import { EventsSearch } from '@audit/query';
import { parseSearch, type ResolvedUsers } from '@audit/search';
import { evaluateAlert } from './alert-counts';
import { AlertsCatalog } from './alerts-catalog.service';
import { AlertsRepository, type NewFiring, type PendingFiring } from './alerts.repository';
import { windowOf } from './conditions';
import { ALERTS_CONFIG, type AlertsConfig } from './config';
import { deliverFiring, type AlertFiring } from './firing-delivery';
import { floorToMinute, MINUTE_MS } from './minutes';
import type { AlertRecord } from './model';

/** Arbitrary constant: the advisory lock the one evaluating replica holds for a whole tick. */
export const ALERTS_LOCK_KEY = 7_204_391_020;

/** How long evaluations may wait on the projector before each tick logs it (the gauge shows it at once). */
const HELD_WARNING_MS = 5 * MINUTE_MS;

/** Firings delivered per tick at most (the rest wait for the next tick, oldest first). */
const DELIVERIES_PER_TICK = 200;

/**
 * The action type a firing is recorded as: of the 34, the one for an automation the platform ran on its
 * own (a workflow run); `metadata.alertFiring` says which alert, window and groups.
 */
export const FIRING_ACTION_TYPE = 'RUN_WORKFLOW';

const evaluations = counter('audit_alert_evaluations_total', 'Alert minutes evaluated, by outcome (quiet, fired, failed: retried next tick, skipped: older than ALERTS_CATCH_UP)', ['outcome']);
const held = gauge(
  'audit_alert_evaluation_held_seconds',
  'How far the most held-back alert evaluation is behind the clock because ClickHouse does not hold all of its minute yet (the projector is behind); 0 when none waits',
);
const deliveries = counter('audit_alert_deliveries_total', 'Firing webhook delivery attempts, by outcome (delivered, retried, failed: given up)', ['outcome']);

/** What one tick did. */
export interface TickReport {
  /** Another replica held the evaluators' lock: this one did nothing. */
  skipped: boolean;
  /** Alert-minutes evaluated (those inside a fired window count: they are passed over, not queried). */
  evaluated: number;
  fired: number;
  /** Alerts whose evaluation failed this tick (they resume at the same minute next tick). */
  failed: number;
  /** Alerts with a due minute left unevaluated because ClickHouse does not hold all of it yet. */
  held: number;
  delivered: number;
  deliveryFailures: number;
}

/**
 * A firing's id: the same for one alert and window, whoever evaluates it, so the stored firing, its audit
 * event (bus deduplication, the writer's id registry) and the receiver's view of a retried delivery are
 * one. A UUIDv7 layout (the window's end as its time) keeps firings ordered like other events.
 */
export function firingId(alertId: string, windowTo: Date): string {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(windowTo.getTime(), 0, 6);
  createHash('sha256').update(`${alertId}:${windowTo.toISOString()}`).digest().copy(bytes, 6, 0, 10);
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Minutes of delay before a firing's next delivery attempt: 1, 2, 4 … up to an hour. */
export const retryDelayMinutes = (attempts: number): number => Math.min(60, 2 ** Math.max(0, attempts - 1));

/**
 * Evaluates every enabled alert once per minute and delivers the firings. One replica at a time (a
 * Postgres advisory lock held for the tick; the others skip). Each alert keeps the end of the last minute it
 * evaluated: a tick evaluates every minute after it that is due (ended at least ALERTS_EVALUATION_DELAY
 * ago) and complete in ClickHouse (no event of the organization that Postgres holds and the projector has
 * not written yet is older than the minute's end), oldest first, and moves the position and stores the firing in one
 * transaction that only succeeds from the position it read. So a restart resumes at the next minute and no
 * minute is evaluated twice, even by two evaluators. A window that fired keeps the alert quiet until it has
 * passed (its events were reported). A firing is recorded as an audit event, then POSTed signed to the
 * alert's webhook, retried with backoff until delivered or ALERTS_DELIVERY_ATTEMPTS is reached.
 */
@Injectable()
export class AlertEvaluator {
  private readonly logger = new Logger(AlertEvaluator.name);

  constructor(
    private readonly db: Database,
    private readonly repository: AlertsRepository,
    private readonly catalog: AlertsCatalog,
    private readonly ch: ClickHouse,
    private readonly users: SearchUsersRepository,
    private readonly search: EventsSearch,
    private readonly recorder: ActivityRecorder,
    @Inject(ALERTS_CONFIG) private readonly config: AlertsConfig,
  ) {}

  /** One tick at `now` (the scheduler's clock; a test's own). */
  async tick(now: Date): Promise<TickReport> {
    const attempt = await this.db.tryAdvisoryLock(ALERTS_LOCK_KEY, async () => ({ ...(await this.evaluateDue(now)), ...(await this.deliverDue(now)) }));
    if (!attempt.acquired) return { skipped: true, evaluated: 0, fired: 0, failed: 0, held: 0, delivered: 0, deliveryFailures: 0 };
    return { skipped: false, ...attempt.result };
  }

  private async evaluateDue(now: Date): Promise<Pick<TickReport, 'evaluated' | 'fired' | 'failed' | 'held'>> {
    const due = floorToMinute(new Date(now.getTime() - this.config.delayMs));
    const totals = { evaluated: 0, fired: 0, failed: 0, held: 0 };
    const alerts = await this.repository.dueAlerts(due);
    if (alerts.length === 0) {
      held.set(0);
      return totals;
    }
    let unprojected: Map<string, Date>;
    try {
      unprojected = await this.search.earliestUnprojected([...new Set(alerts.map((a) => a.organizationId))]);
    } catch (error) {
      // Without the projector's position no window is known complete: none is evaluated, all resume next tick.
      totals.failed = alerts.length;
      evaluations.inc({ outcome: 'failed' }, alerts.length);
      this.logger.warn({ msg: 'alert evaluation skipped this tick: the projection progress could not be read', error: describe(error) });
      return totals;
    }
    let heldMs = 0;
    for (const alert of alerts) {
      // A window is counted in ClickHouse only once it holds every event Postgres has of it: a window ending
      // after the earliest event not projected yet waits (else that event would never be counted).
      const pending = unprojected.get(alert.organizationId);
      const complete = pending && pending < due ? floorToMinute(pending) : due;
      if (complete < due && alert.evaluatedUntil < due) {
        totals.held++;
        heldMs = Math.max(heldMs, due.getTime() - Math.max(complete.getTime(), alert.evaluatedUntil.getTime()));
      }
      try {
        await this.catchUp(alert, due, complete, now, totals);
      } catch (error) {
        totals.failed++;
        evaluations.inc({ outcome: 'failed' });
        this.logger.warn({ msg: 'alert evaluation failed; retried at the same minute next tick', alert: alert.id, organizationId: alert.organizationId, error: describe(error) });
      }
    }
    held.set(heldMs / 1000);
    if (heldMs >= HELD_WARNING_MS) {
      this.logger.warn({ msg: 'alert evaluations wait on the projector: ClickHouse does not hold all of their minutes yet', alerts: totals.held, behindSeconds: heldMs / 1000 });
    }
    return totals;
  }

  /**
   * Evaluates the alert's minutes after its position up to `complete` (those ClickHouse holds in full),
   * oldest first. Minutes older than ALERTS_CATCH_UP before `due` (the clock's) are skipped first, so a
   * long stop or a long stalled projector is followed by a bounded catch-up, as after a restart.
   */
  private async catchUp(alert: AlertRecord, due: Date, complete: Date, now: Date, totals: { evaluated: number; fired: number }): Promise<void> {
    let position = alert.evaluatedUntil;
    const earliest = new Date(due.getTime() - this.config.catchUpMinutes * MINUTE_MS);
    if (position < earliest) {
      const skipped = (earliest.getTime() - position.getTime()) / MINUTE_MS;
      if (!(await this.repository.advance(alert.id, position, earliest))) return;
      evaluations.inc({ outcome: 'skipped' }, skipped);
      this.logger.warn({ msg: 'alert minutes older than ALERTS_CATCH_UP skipped', alert: alert.id, from: position.toISOString(), to: earliest.toISOString(), minutes: skipped });
      position = earliest;
    }
    let firedUntil = alert.firedUntil;
    let users: ResolvedUsers | undefined;
    for (let to = new Date(position.getTime() + MINUTE_MS); to <= complete; to = new Date(to.getTime() + MINUTE_MS)) {
      const { from } = windowOf(alert.condition, to);
      let firing: NewFiring | undefined;
      if (!(firedUntil && firedUntil > from)) {
        // Relative times in the query (created:>-2h) count back from the window's end, not from the tick.
        const node = parseSearch(alert.search, to);
        users ??= await this.users.resolve(alert.organizationId, node);
        const groups = await evaluateAlert(this.ch.client, alert.organizationId, node, users, alert.condition, to);
        if (groups.length > 0) firing = { id: firingId(alert.id, to), alertName: alert.name, search: alert.search, windowFrom: from, groups, firedAt: now };
      }
      // Another evaluator (or an edit disabling the alert) moved it: what it stored stands.
      if (!(await this.repository.advance(alert.id, position, to, firing))) return;
      totals.evaluated++;
      evaluations.inc({ outcome: firing ? 'fired' : 'quiet' });
      if (firing) {
        totals.fired++;
        firedUntil = to;
      }
      position = to;
    }
  }

  private async deliverDue(now: Date): Promise<Pick<TickReport, 'delivered' | 'deliveryFailures'>> {
    const totals = { delivered: 0, deliveryFailures: 0 };
    for (const firing of await this.repository.pendingDeliveries(now, DELIVERIES_PER_TICK)) {
      if (await this.deliver(firing, now)) totals.delivered++;
      else totals.deliveryFailures++;
    }
    return totals;
  }

  /** Records the firing (once) and then delivers it; true when the receiver took it. */
  private async deliver(firing: PendingFiring, now: Date): Promise<boolean> {
    const payload: AlertFiring = {
      id: firing.id,
      organizationId: firing.organizationId,
      alert: { id: firing.alertId, name: firing.alertName, search: firing.search },
      window: { from: firing.windowFrom.toISOString(), to: firing.windowTo.toISOString() },
      groups: firing.groups,
      firedAt: firing.firedAt.toISOString(),
    };
    if (!firing.recordedAt) {
      try {
        // Recorded before anyone is told, as settings changes are: nothing fires unseen in the audit trail.
        await this.recorder.record(
          { id: firing.id, organizationId: firing.organizationId, actionType: FIRING_ACTION_TYPE, userId: null, metadata: { alertFiring: { id: payload.id, alert: payload.alert, window: payload.window, groups: payload.groups } } },
          firing.firedAt,
        );
        await this.repository.markRecorded(firing.id, now);
      } catch (error) {
        this.logger.warn({ msg: 'alert firing not recorded yet (the bus refused it); delivered once it is', firing: firing.id, error: describe(error) });
        return false;
      }
    }
    try {
      await this.catalog.assertPublicWebhook(firing.webhookUrl);
      await deliverFiring(
        firing.webhookUrl,
        this.catalog.secretOf({ id: firing.alertId, sealedSecret: firing.sealedSecret }),
        payload,
        now,
        this.config.deliveryTimeoutMs,
        this.catalog.webhookLookup(),
      );
      await this.repository.markAttempt(firing.id, { status: 'delivered', at: now, error: null, retryAt: null });
      deliveries.inc({ outcome: 'delivered' });
      return true;
    } catch (error) {
      const attempts = firing.attempts + 1;
      const givingUp = attempts >= this.config.deliveryAttempts;
      const retryAt = givingUp ? null : new Date(now.getTime() + retryDelayMinutes(attempts) * MINUTE_MS);
      await this.repository.markAttempt(firing.id, { status: givingUp ? 'failed' : 'pending', at: now, error: describe(error), retryAt });
      deliveries.inc({ outcome: givingUp ? 'failed' : 'retried' });
      this.logger.warn({ msg: givingUp ? 'alert firing not delivered; given up' : 'alert firing not delivered; retried', firing: firing.id, attempts, retryAt: retryAt?.toISOString() ?? null, error: describe(error) });
      return false;
    }
  }
}
