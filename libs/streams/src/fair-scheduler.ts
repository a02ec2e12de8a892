/**
 * Bounds the deliveries in progress across every stream of a replica and hands free slots out first come,
 * first served. Each stream has at most one batch waiting (its consumer lets no more out), so a stream with a
 * backlog of millions takes its turn like one with a single event, and a failing stream waits for its
 * retry outside the queue: neither holds the others back.
 */
export class FairScheduler {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly slots: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.slots) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next in line, so `running` never dips and lets a newcomer jump the queue.
      if (next) next();
      else this.running--;
    }
  }

  /** Deliveries in progress and waiting, for the metrics. */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
