import { eventKey, type BatchCheck, type EventKey } from '@audit/clickhouse';

/**
 * What {@link OverlappingInserts} needs of the store: `ClickHouseEventsRepository`'s check and completion,
 * and `ProjectionProgress`'s high-water mark.
 */
export interface ProjectionStore<Row extends EventKey> {
  check(rows: readonly Row[]): Promise<BatchCheck>;
  /**
   * Stores the rows the check did not find (each key once), completes those found half-done, registers
   * them all, and returns how many rows it inserted (`ClickHouseEventsRepository.complete`).
   */
  complete(rows: readonly Row[], check: BatchCheck, signal?: AbortSignal): Promise<number>;
  /**
   * Re-applies the erasures committed by now that cover a row of the batch (`reapplyErasures`). Called in the
   * batch's turn once its rows are stored, before the mark: every row of the batch, those found stored too
   * (a redelivery after this step failed).
   */
  eraseCovered(rows: readonly Row[]): Promise<void>;
  /**
   * Records that every row of a completed batch is in the store (`ProjectionProgress.advancePast`): searches
   * read from ClickHouse what the mark covers. Called in the batch's turn, once its rows are stored.
   */
  markProjected(rows: readonly Row[]): Promise<void>;
}

/** How long one batch spent on its duplicate check and on its insert (the turn, re-check included). */
export interface InsertTimings {
  checkSeconds: number;
  insertSeconds: number;
}

/**
 * Inserts batches of the projection so that a batch's duplicate check (and everything before it:
 * decoding, mapping) runs while the previous batch is still being inserted, without losing exactness.
 *
 * The inserts themselves take turns, in call order. A check that ran while another batch was being
 * inserted may have missed that batch's rows, so when its turn comes a batch also counts as registered
 * every key committed since its check began (kept in memory for the last few commits). If an insert
 * failed in the meantime (it may have stored part of its rows before failing), or the check is older than
 * what memory keeps, the batch checks ClickHouse again inside its turn, where nothing else is inserting.
 *
 * Each batch, in its turn, has the erasures committed by then that cover its rows re-applied once they are
 * stored, then moves the high-water mark: batches take
 * turns in call order, so the mark never covers a row of a batch still being inserted, and shutdown's
 * wait ({@link idle}) covers the mark's write as it covers the insert.
 *
 * A batch whose `signal` is aborted by the time its turn comes (the service is stopping) is not inserted:
 * it fails with the signal's reason, so its messages are redelivered instead of holding shutdown up.
 */
export class OverlappingInserts<Row extends EventKey> {
  private readonly journal: CommitJournal;
  private turn: Promise<unknown> = Promise.resolve();
  /** Duplicate checks still running in ClickHouse, including those of batches given up on (stopping). */
  private readonly running = new Set<Promise<unknown>>();

  constructor(
    private readonly store: ProjectionStore<Row>,
    /** How many recent commits are remembered; a check older than that is simply done again. */
    remembered = 4,
  ) {
    this.journal = new CommitJournal(remembered);
  }

  /** Inserts the rows not stored yet (each key once) and returns how many that was. */
  async insertNew(rows: readonly Row[], timings?: (t: InsertTimings) => void, signal?: AbortSignal): Promise<number> {
    if (rows.length === 0) return 0;
    const checkStarted = performance.now();
    const mark = this.journal.mark();
    const checking = this.store.check(rows);
    const settled = checking.then(
      () => undefined,
      () => undefined,
    );
    this.running.add(settled);
    void settled.then(() => this.running.delete(settled));
    let checkSeconds = 0;
    // Awaited in the turn; settled earlier, a failure must not count as unhandled meanwhile.
    checking.then(
      () => (checkSeconds = (performance.now() - checkStarted) / 1000),
      () => undefined,
    );
    // The turn is taken now, before the check answers, so batches are inserted in the order they came.
    return this.inTurn(async () => {
      // Stopping: not even the check is waited for (on chDB it queues behind every statement before it).
      const checked = await (signal ? untilAborted(checking, signal) : checking);
      const started = performance.now();
      const committedSince = this.journal.since(mark);
      const check =
        committedSince === undefined ? await this.store.check(rows) : { stored: checked.stored, registered: union(checked.registered, committedSince) };
      let inserted: number;
      try {
        inserted = await this.store.complete(rows, check, signal);
      } catch (error) {
        this.journal.failed();
        throw error;
      }
      // Every key of the batch is stored and registered now: the rows just inserted and the ones found already there.
      this.journal.committed(rows);
      const insertSeconds = (performance.now() - started) / 1000;
      // Before the mark: a search trusts ClickHouse for what the mark covers. A failure fails the batch,
      // whose redelivery finds its rows stored and runs this again.
      await this.store.eraseCovered(rows);
      // A failed mark fails the batch: redelivered, its rows are found stored and the mark is written again.
      await this.store.markProjected(rows);
      timings?.({ checkSeconds, insertSeconds });
      return inserted;
    });
  }

  /**
   * Settles once no statement of this projection runs any more: the insert under way (and its mark), every duplicate
   * check, also those of batches that stopped waiting for them. Closing embedded ClickHouse while one of
   * its statements still runs crashes the process (SIGSEGV), so shutdown waits for this first.
   */
  async idle(): Promise<void> {
    await this.turn;
    await Promise.all([...this.running]);
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const run = this.turn.then(work);
    this.turn = run.catch(() => undefined);
    return run;
  }
}

/** The keys of the last few commits, numbered, and whether an insert failed since a given point. */
class CommitJournal {
  private sequence = 0;
  private entries: Array<{ sequence: number; ids: readonly string[] | undefined }> = [];

  constructor(private readonly capacity: number) {}

  /** A point to ask {@link since} about later. */
  mark(): number {
    return this.sequence;
  }

  committed(rows: readonly EventKey[]): void {
    this.push(rows.map(eventKey));
  }

  /** An insert failed: it may have stored or registered some of its rows, which no earlier check can have seen. */
  failed(): void {
    this.push(undefined);
  }

  /**
   * The keys committed after `mark`, or undefined when that cannot be told from memory (an insert failed
   * since, or the commits since are more than it keeps): then only a new check is exact.
   */
  since(mark: number): Set<string> | undefined {
    if (this.sequence - mark > this.entries.length) return undefined;
    const ids = new Set<string>();
    for (const entry of this.entries) {
      if (entry.sequence <= mark) continue;
      if (entry.ids === undefined) return undefined;
      for (const id of entry.ids) ids.add(id);
    }
    return ids;
  }

  private push(ids: readonly string[] | undefined): void {
    this.entries.push({ sequence: ++this.sequence, ids });
    if (this.entries.length > this.capacity) this.entries.shift();
  }
}

/** `work`, or the signal's reason as soon as it is aborted, whichever comes first. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

function union(a: ReadonlySet<string>, b: ReadonlySet<string>): ReadonlySet<string> {
  if (b.size === 0) return a;
  if (a.size === 0) return b;
  const all = new Set(a);
  for (const id of b) all.add(id);
  return all;
}
