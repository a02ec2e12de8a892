import { Injectable } from '@nestjs/common';
import { ClickHouse } from './clickhouse.service';
import { fromClickHouseTime } from './time';

/** The consumer whose mark {@link ProjectionProgress} keeps: the projector of `audit_events`. */
export const PROJECTOR_PROGRESS = 'projector';

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

  /** The mark in epoch milliseconds, or null when nothing was ever projected. */
  async watermark(consumer = PROJECTOR_PROGRESS): Promise<number | null> {
    const result = await this.ch.client.query({
      query: `SELECT toString(max(watermark)) AS w, count() AS n FROM projection_progress WHERE consumer = {consumer:String}`,
      query_params: { consumer },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ w: string; n: number | string }>();
    return !row || Number(row.n) === 0 ? null : fromClickHouseTime(row.w);
  }
}
