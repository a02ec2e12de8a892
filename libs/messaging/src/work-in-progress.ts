import type { JsMsg } from '@nats-io/jetstream';
import { TimeSlice } from './time-slice';

/**
 * The delivered messages a consumer still works on, kept from being redelivered.
 *
 * The ack wait is short (CONSUMER_ACK_WAIT) so that the batch of a process that died comes back quickly;
 * a batch that is merely slow must not come back with it. While messages are held, `working()` (`+WPI`,
 * which restarts the server's ack timer of that message) is sent every `intervalMs` for each message held
 * at least that long. Messages already acked, nacked or terminated ignore it (nats.js sends nothing for a
 * settled message), so a batch settled message by message needs no bookkeeping here.
 */
export class WorkInProgress {
  private readonly held = new Map<Iterable<JsMsg>, number>();
  private timer?: NodeJS.Timeout;
  private sending?: Promise<void>;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Holds `messages` (the collection itself, read at each signal, so messages added to it later are held too)
   * from now until `release`. Holding a collection already held keeps its first time.
   */
  hold(messages: Iterable<JsMsg>): void {
    if (!this.held.has(messages)) this.held.set(messages, this.now());
    // Called for every message received: the timer is made (and unref'd) once, not touched per message.
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), this.intervalMs);
      this.timer.unref();
    }
  }

  release(messages: Iterable<JsMsg>): void {
    this.held.delete(messages);
    if (this.held.size === 0) this.stop();
  }

  /**
   * Sends `working()` for every message held at least one interval (a quick batch costs nothing). Each is a
   * publish, and a consumer may hold tens of thousands (the projector's batches): sent in slices (see
   * TimeSlice), and a tick still sending when the next is due lets that one pass.
   */
  tick(): void {
    if (this.sending) return;
    this.sending = this.sendWorking().finally(() => (this.sending = undefined));
  }

  private async sendWorking(): Promise<void> {
    const due = this.now() - this.intervalMs;
    const slice = new TimeSlice();
    for (const [messages, since] of [...this.held]) {
      if (since > due) continue;
      for (const message of messages) {
        if (slice.spent()) await slice.yield();
        message.working();
      }
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** How often to say `working()`: a third of the ack wait, so two signals may be lost before the server gives up. */
export const workingIntervalMs = (ackWaitMs: number): number => Math.max(250, Math.floor(ackWaitMs / 3));
