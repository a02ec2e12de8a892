/**
 * Shares one run of a read among identical requests, without ever answering a request with a result
 * computed before it arrived.
 *
 * Why: embedded ClickHouse (chDB) runs parameterised statements one at a time, process-wide. A console
 * or a dashboard that polls the same aggregate every few hundred milliseconds queues one statement per
 * poll behind the others, and once a statement takes longer than the poll interval (a loaded machine,
 * the projector's statements in the same queue) every answer waits for all those before it: seconds,
 * growing for as long as the polling goes on. Here at most two runs per key exist: the one under way,
 * and one queued that every request arriving meanwhile shares (it starts after they all arrived, so each
 * sees at least what it would have seen alone).
 */
export class CoalescedReads<V> {
  private readonly running = new Map<string, Promise<V>>();
  private readonly queued = new Map<string, Promise<V>>();

  /** The result of `read` for `key`, run now, or shared with the run queued for the same key. */
  run(key: string, read: () => Promise<V>): Promise<V> {
    const queued = this.queued.get(key);
    if (queued) return queued;
    const running = this.running.get(key);
    if (!running) return this.start(key, read);
    // A run under way started before this request: its answer may miss what was committed since. The next
    // run starts when it ends (its outcome, failure included, is not this request's).
    const next = running.then(
      () => this.startQueued(key, read),
      () => this.startQueued(key, read),
    );
    this.queued.set(key, next);
    return next;
  }

  /** How many keys have a run under way (for tests and metrics). */
  get inFlight(): number {
    return this.running.size;
  }

  private startQueued(key: string, read: () => Promise<V>): Promise<V> {
    this.queued.delete(key);
    return this.start(key, read);
  }

  private start(key: string, read: () => Promise<V>): Promise<V> {
    const run = read().finally(() => {
      if (this.running.get(key) === run) this.running.delete(key);
    });
    this.running.set(key, run);
    return run;
  }
}
