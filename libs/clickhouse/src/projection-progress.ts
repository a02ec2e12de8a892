import { Injectable } from '@nestjs/common';
import { ClickHouse } from './clickhouse.service';
import { fromClickHouseTime, toClickHouseTime } from './time';

/** The consumer whose mark {@link ProjectionProgress} keeps: the projector of `audit_events`. */
export const PROJECTOR_PROGRESS = 'projector';

/** The row a rebuild keeps in `projection_progress` while it runs: with it there, no mark is trusted. */
export const REBUILD_HOLD = 'rebuild';

/**
 * The projector's high-water mark in `projection_progress`: the newest `receivedAt` among the events it
 * has committed to `audit_events`. Searches read what was received after it (less a margin for events
 * committed out of order) from Postgres, so an event Postgres has is found before it is projected.
 */
@Injectable()
export class ProjectionProgress {
  constructor(private readonly ch: ClickHouse) {}

  /** Records that every event of a committed batch is in ClickHouse; `receivedAt` in ClickHouse's text form. */
  async advance(receivedAt: string, consumer = PROJECTOR_PROGRESS): Promise<void> {
    await this.ch.client.insert({
      table: 'projection_progress',
      values: [{ consumer, watermark: receivedAt }],
      format: 'JSONEachRow',
      clickhouse_settings: { ...this.ch.insertSettings },
    });
  }

  /**
   * Records that every row of a committed batch is in ClickHouse: the mark moves to the newest `receivedAt`
   * among them (it never moves back: the mark is the greatest ever recorded).
   */
  async advancePast(rows: ReadonlyArray<{ receivedAt: string }>, consumer = PROJECTOR_PROGRESS): Promise<void> {
    // The text form is fixed-width, so the greatest text is the newest.
    let newest = '';
    for (const row of rows) if (row.receivedAt > newest) newest = row.receivedAt;
    if (newest !== '') await this.advance(newest, consumer);
  }

  /**
   * The mark in epoch milliseconds, or null when nothing was ever projected or a rebuild holds the
   * projection (then every event is read from Postgres, as if nothing had been projected).
   */
  async watermark(consumer = PROJECTOR_PROGRESS): Promise<number | null> {
    const result = await this.ch.client.query({
      query: `SELECT toString(maxIf(watermark, consumer = {consumer:String})) AS w, countIf(consumer = {consumer:String}) AS n, countIf(consumer = {hold:String}) AS held
              FROM projection_progress WHERE consumer IN ({consumer:String}, {hold:String})`,
      query_params: { consumer, hold: REBUILD_HOLD },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ w: string; n: number | string; held: number | string }>();
    return !row || Number(row.n) === 0 || Number(row.held) > 0 ? null : fromClickHouseTime(row.w);
  }

  /**
   * Resets the mark before a rebuild clears and reloads the projection: ClickHouse then lacks events it
   * had, so no mark may be trusted until the reload is done, not even one the live projector records
   * meanwhile (it would cover events of the cleared scope not reloaded yet). Records the hold and removes
   * the projector's mark; {@link release} ends the hold. A rebuild that dies holding it leaves searches
   * on Postgres (slower, never wrong) until a rebuild completes.
   */
  async hold(consumer = PROJECTOR_PROGRESS): Promise<void> {
    await this.ch.client.insert({
      table: 'projection_progress',
      values: [{ consumer: REBUILD_HOLD, watermark: toClickHouseTime(new Date()) }],
      format: 'JSONEachRow',
      clickhouse_settings: { ...this.ch.insertSettings },
    });
    await this.remove(consumer);
  }

  /**
   * Ends a rebuild's hold: the reload holds every event Postgres had when it began, and the projector's
   * marks since (or its next batch's) cover what came after, so searches may trust the mark again.
   */
  async release(): Promise<void> {
    await this.remove(REBUILD_HOLD);
  }

  private async remove(consumer: string): Promise<void> {
    await this.ch.client.command({
      query: 'ALTER TABLE projection_progress DELETE WHERE consumer = {consumer:String}',
      query_params: { consumer },
      clickhouse_settings: { mutations_sync: '2', ...this.ch.removalSettings },
    });
  }
}
