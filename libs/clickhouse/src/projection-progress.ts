import { Injectable } from '@nestjs/common';
import { sharedCell } from '@audit/platform';
import { ClickHouse } from './clickhouse.service';
import { fromClickHouseTime, toClickHouseTime } from './time';

/** The consumer whose mark {@link ProjectionProgress} keeps: the projector of `audit_events`. */
export const PROJECTOR_PROGRESS = 'projector';

/** The row a rebuild keeps in `projection_progress` while it runs: with it there, no mark is trusted. */
export const REBUILD_HOLD = 'rebuild';

/**
 * The row each rebuild adds when it begins and nothing removes (its time, the newest kept on merges): a
 * search on a ClickHouse server compares it before and after its statement, so a rebuild that began and
 * ended in between (from any process) is still seen.
 */
export const REBUILD_BEGAN = 'rebuild-began';

/**
 * The process's rebuild epoch: bumped by {@link ProjectionProgress.hold} (once the hold row is in and before
 * anything is cleared) and by {@link ProjectionProgress.release}. Shared memory, so a rebuild in the
 * standalone's worker thread is seen by the main thread's searches. Taken at load, in the main thread
 * before it starts any worker (see sharedCell).
 */
const REBUILD_EPOCH = new Int32Array(sharedCell('clickhouse-rebuild-epoch'));

/**
 * The mark a search merges with, and how to tell afterwards whether a rebuild may have cleared ClickHouse
 * since that mark was read (then the keys ClickHouse gave cannot be trusted with it).
 */
export interface SearchMark {
  /** As {@link ProjectionProgress.watermark}: null when nothing is projected or a rebuild holds the projection. */
  mark: number | null;
  /** False when a rebuild began or ended since the mark was read: ClickHouse's answer may lack cleared rows. */
  stillValid(): Promise<boolean>;
}

/**
 * The projector's high-water mark in `projection_progress`: the newest `receivedAt` among the events it
 * has committed to `audit_events`. Searches read what was received after it (less a margin for events
 * committed out of order) from Postgres, so an event Postgres has is found before it is projected.
 */
@Injectable()
export class ProjectionProgress {
  private reused?: { mark: number; epoch: number; readAt: number };
  private reading?: { epoch: number; mark: Promise<number | null> };

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
    return (await this.readMark(consumer)).mark;
  }

  /** The mark, and what tells the rebuilds begun so far apart (the newest one's time and their rows' count). */
  private async readMark(consumer: string): Promise<{ mark: number | null; rebuilds: string }> {
    const result = await this.ch.client.query({
      query: `SELECT toString(maxIf(watermark, consumer = {consumer:String})) AS w, countIf(consumer = {consumer:String}) AS n, countIf(consumer = {hold:String}) AS held,
                     toString(maxIf(watermark, consumer = {began:String})) AS began, countIf(consumer = {began:String}) AS begun
              FROM projection_progress WHERE consumer IN ({consumer:String}, {hold:String}, {began:String})`,
      query_params: { consumer, hold: REBUILD_HOLD, began: REBUILD_BEGAN },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ w: string; n: number | string; held: number | string; began: string; begun: number | string }>();
    if (!row) return { mark: null, rebuilds: '' };
    return { mark: Number(row.n) === 0 || Number(row.held) > 0 ? null : fromClickHouseTime(row.w), rebuilds: `${row.began}/${row.begun}` };
  }

  /**
   * The mark for a search page. On a ClickHouse server, read now, as {@link watermark}, and read again by
   * `stillValid` once ClickHouse answered (a rebuild may run in another process): valid only while no hold
   * is there and no rebuild began since ({@link REBUILD_BEGAN}: {@link hold} writes it with its hold row, in
   * one insert, before it clears anything, so a clear that ClickHouse's answer could have seen is seen by
   * the second read). On embedded chDB, one read is reused for up to `reuseMs`
   * (SEARCH_MARK_REUSE), which saves a chDB statement (~3 ms, and a turn of the process's one
   * parameterised-statement chain) on most pages; past that and up to `staleMs` (SEARCH_MARK_STALE) it is
   * still used at once, and a fresh read for the next pages starts once this page's statement answered,
   * so the read is never on a page's path (before ClickHouse's statement, which must wait for the mark)
   * unless the mark is older than `staleMs` (a page after an idle spell) or a rebuild moved the epoch.
   * Safe because:
   *
   * - an older mark only widens the Postgres tail: every event received up to it less the margin was in
   *   ClickHouse when it was read, and ClickHouse loses rows only to a rebuild's clear (erasure and
   *   retention remove them from Postgres too, and rows come from Postgres by id);
   * - chDB binds its data directory to one process, so with embedded ClickHouse every rebuild runs in this
   *   process, and {@link hold} bumps the process's rebuild epoch after its hold row is in and before it
   *   clears anything. A search reads the epoch before the mark and checks it again once ClickHouse
   *   answered (`stillValid`): if ClickHouse's answer could miss a cleared row, the clear began before that
   *   answer, so the bump did too and the check fails; if the epoch was read after the bump, the mark read
   *   after it sees the hold and is null.
   *
   * The same two facts make any age safe, `staleMs` included; what the age costs is a longer tail (the
   * events received since the mark was read, on top of SEARCH_FRESHNESS_MARGIN).
   */
  async searchMark(reuseMs: number, staleMs = reuseMs): Promise<SearchMark> {
    if (this.ch.mode !== 'embedded') {
      const first = await this.readMark(PROJECTOR_PROGRESS);
      return {
        mark: first.mark,
        stillValid: async () => {
          const again = await this.readMark(PROJECTOR_PROGRESS);
          return again.mark !== null && again.rebuilds === first.rebuilds;
        },
      };
    }
    const epoch = Atomics.load(REBUILD_EPOCH, 0);
    const unchanged = (): boolean => Atomics.load(REBUILD_EPOCH, 0) === epoch;
    const stillValid = (): Promise<boolean> => Promise.resolve(unchanged());
    const now = Date.now();
    const reused = this.reused?.epoch === epoch ? this.reused : undefined;
    const age = reused ? now - reused.readAt : Infinity;
    if (reused && age < reuseMs) return { mark: reused.mark, stillValid };
    if (reused && age < staleMs) {
      // Stale but usable: this page takes it, and the read that replaces it starts once the page's
      // ClickHouse statement answered (the page asks `stillValid` then). Started now, it would take the
      // turn before that statement on chDB's one statement chain and delay the page all the same. Its
      // failure is not this page's: the next page past `staleMs` waits for a read and sees it.
      return {
        mark: reused.mark,
        stillValid: () => {
          void this.readFor(epoch, now, unchanged);
          return stillValid();
        },
      };
    }
    return { mark: await this.readFor(epoch, now, unchanged), stillValid };
  }

  /** The mark read of `epoch` in flight, or a new one: concurrent pages share one read. */
  private readFor(epoch: number, now: number, unchanged: () => boolean): Promise<number | null> {
    if (this.reading?.epoch === epoch) return this.reading.mark;
    const started = { epoch, mark: this.watermark() };
    this.reading = started;
    const forget = (): void => {
      if (this.reading === started) this.reading = undefined;
    };
    void started.mark.then((mark) => {
      forget();
      // Null (nothing projected, or a hold) is not reused: the next page asks again.
      if (mark !== null && unchanged() && (!this.reused || this.reused.readAt <= now)) this.reused = { mark, epoch, readAt: now };
    }, forget);
    return started.mark;
  }

  /**
   * Resets the mark before a rebuild clears and reloads the projection: ClickHouse then lacks events it
   * had, so no mark may be trusted until the reload is done, not even one the live projector records
   * meanwhile (it would cover events of the cleared scope not reloaded yet). Records the hold and removes
   * the projector's mark; {@link release} ends the hold. A rebuild that dies holding it leaves searches
   * on Postgres (slower, never wrong) until a rebuild completes.
   */
  async hold(consumer = PROJECTOR_PROGRESS): Promise<void> {
    const now = toClickHouseTime(new Date());
    // One insert: the hold and the record that a rebuild began appear together (see searchMark).
    await this.ch.client.insert({
      table: 'projection_progress',
      values: [
        { consumer: REBUILD_HOLD, watermark: now },
        { consumer: REBUILD_BEGAN, watermark: now },
      ],
      format: 'JSONEachRow',
      clickhouse_settings: { ...this.ch.insertSettings },
    });
    // After the hold row is in (a mark read from now on is null) and before anything is cleared: see searchMark.
    Atomics.add(REBUILD_EPOCH, 0, 1);
    await this.remove(consumer);
  }

  /**
   * Ends a rebuild's hold: the reload holds every event Postgres had when it began, and the projector's
   * marks since (or its next batch's) cover what came after, so searches may trust the mark again.
   */
  async release(): Promise<void> {
    await this.remove(REBUILD_HOLD);
    Atomics.add(REBUILD_EPOCH, 0, 1);
  }

  private async remove(consumer: string): Promise<void> {
    await this.ch.client.command({
      query: 'ALTER TABLE projection_progress DELETE WHERE consumer = {consumer:String}',
      query_params: { consumer },
      clickhouse_settings: { mutations_sync: '2', ...this.ch.removalSettings },
    });
  }
}
