/** What the tracker needs of a delivered message: its stream and delivery sequences. */
export interface Sequenced {
  /** Stream sequence: an ack under AckPolicy.All settles every pending message at or below it. */
  readonly seq: number;
  /** Consumer (delivery) sequence: the server numbers every delivery, redeliveries included, without gaps. */
  readonly dseq: number;
}

/** What this client held at one moment (see {@link CumulativeAcks.confirm}). */
export interface Snapshot {
  readonly held: number;
  readonly lastDelivery: number | undefined;
  readonly gaps: number;
}

/** The consumer as the server counts it, to compare with what this client holds (see {@link CumulativeAcks.confirm}). */
export interface ServerPending {
  /** Messages delivered and not acknowledged (`num_ack_pending`). */
  ackPending: number;
  /** The last delivery sequence the server handed out (`delivered.consumer_seq`). */
  lastDelivery: number;
}

/**
 * Which message to acknowledge under `AckPolicy.All`, where one ack settles every pending message whose
 * stream sequence is at or below its own: one ack per batch instead of one per message.
 *
 * The danger is acking past a message that is not done: one in hand, one nak'd and waiting for its
 * redelivery, or one the server delivered that never reached this client (a dropped connection, a pull
 * re-opened with messages still queued, a previous holder of the consumer that stopped or crashed with
 * messages in hand). An ack covering it would drop it. So the tracker acks only the highest done message
 * below the lowest one still open, and only while it is sure it knows every message the server has pending:
 * it starts unsure, and becomes unsure again on any gap in the delivery sequence. While unsure it acks
 * nothing (the messages stay pending: a crash then redelivers them, a duplicate at worst) until the
 * server's count of pending messages and last delivery match what this client holds and last received
 * ({@link confirm}); with no ack sent meanwhile, the server's pending set can only grow, so equal counts over
 * a snapshot taken before the question mean equal sets.
 *
 * This relies on a single client pulling the consumer at a time (the streams' leases); two would each ack
 * the other's messages.
 */
export class CumulativeAcks<M> {
  /** Stream sequences received and not done (in hand, or nak'd and waiting to come back), with their latest delivery sequence. */
  private readonly open = new Map<number, number>();
  /** Done and not yet covered by an ack, by stream sequence. */
  private readonly done = new Map<number, M>();
  /** The highest stream sequence an ack was sent for: everything at or below it is settled at the server. */
  private ackedThrough = 0;
  /** The delivery sequence of that ack: the server ignores an ack whose delivery sequence is not past it. */
  private ackedDelivery = 0;
  private lastDelivery?: number;
  private sure = false;

  /**
   * `seqOf` and `dseqOf` read a message's stream and delivery sequences (for a JetStream message, from its
   * reply subject): two reads rather than an object made per message.
   */
  constructor(
    private readonly seqOf: (message: M) => number = (message) => (message as unknown as Sequenced).seq,
    private readonly dseqOf: (message: M) => number = (message) => (message as unknown as Sequenced).dseq,
  ) {}

  /** Gaps seen so far: a confirmation asked before the latest gap does not count. */
  private gaps = 0;

  /** Whether every message the server has pending is known here (acks may be sent). */
  get verified(): boolean {
    return this.sure;
  }

  /** Whether anything done waits for an ack. */
  get waiting(): boolean {
    return this.done.size > 0;
  }

  /**
   * The messages done and not yet covered by an ack, live (read at each iteration). Their ack may wait long:
   * behind a slower batch below them, a nak'd message waiting to come back, or a confirmation. The server
   * redelivers each once its ack wait runs out, so the holder keeps them alive (`working()`) until covered.
   */
  readonly unacked: Iterable<M> = { [Symbol.iterator]: () => this.done.values() };

  /** What to compare with the server's count: take it before asking the server, with no ack sent since. */
  snapshot(): Snapshot {
    let held = this.open.size;
    for (const seq of this.done.keys()) if (!this.open.has(seq)) held++;
    return { held, lastDelivery: this.lastDelivery, gaps: this.gaps };
  }

  /** A message arrived. A gap in the delivery sequence means one was missed: unsure until the server confirms. */
  received(message: M): void {
    const seq = this.seqOf(message);
    const dseq = this.dseqOf(message);
    if (this.lastDelivery !== undefined && dseq !== this.lastDelivery + 1) {
      this.sure = false;
      this.gaps++;
    }
    this.lastDelivery = dseq;
    if (seq > this.ackedThrough) this.open.set(seq, dseq);
  }

  /** The message was delivered or dead-lettered: an ack may cover it. `seq` is its stream sequence, when the caller has read it already. */
  settled(message: M, seq = this.seqOf(message)): void {
    if (seq <= this.ackedThrough) return;
    this.open.delete(seq);
    this.done.set(seq, message);
  }

  /**
   * Becomes sure if the server, asked after `before` was taken, holds exactly what this client held then:
   * as many pending messages, the same last delivery, and no gap since. Returns whether it is sure now.
   */
  confirm(server: ServerPending, before: Snapshot): boolean {
    if (this.sure) return true;
    if (server.ackPending !== before.held || this.gaps !== before.gaps) return false;
    if (before.lastDelivery === undefined) {
      // Nothing received then: the next delivery must follow the server's last. One that arrived meanwhile
      // was not checked against it, so ask again.
      if (this.lastDelivery !== undefined) return false;
      this.lastDelivery = server.lastDelivery;
    } else if (server.lastDelivery !== before.lastDelivery) {
      return false;
    }
    this.sure = true;
    return true;
  }

  /**
   * The message to acknowledge now, if any: the highest done one below every open one whose ack the server
   * will take. Whatever it covers is forgotten; nothing is returned while unsure.
   *
   * The server ignores an ack whose delivery sequence is not past the previous ack's (nats-server's AckAll
   * `dseq <= adflr` no-op), and an ack sets that floor to its own delivery sequence. After redeliveries the
   * two orders differ: acking a late redelivery of a low stream sequence would make every message held above
   * it with an earlier delivery unackable, and believed acked here, so never acked again (redelivered every
   * ack wait, forever). So a message is acked only if no message held above it was delivered before it; else
   * a lower one that qualifies, or none until the open ones between are done.
   */
  next(): M | undefined {
    if (!this.sure || this.done.size === 0) return undefined;
    let lowestOpen = Infinity;
    for (const seq of this.open.keys()) if (seq < lowestOpen) lowestOpen = seq;
    let best = 0;
    for (const seq of this.done.keys()) if (seq < lowestOpen && seq > best) best = seq;
    if (best === 0) return undefined;
    const target = this.ackable(best) ? best : this.highestAckableBelow(lowestOpen);
    if (target === undefined) return undefined;
    const message = this.done.get(target) as M;
    for (const seq of this.done.keys()) if (seq <= target) this.done.delete(seq);
    this.ackedThrough = target;
    this.ackedDelivery = this.dseqOf(message);
    return message;
  }

  /** Whether the done message `seq` may be acked: delivered after the last ack, and before everything held above it. */
  private ackable(seq: number): boolean {
    const dseq = this.dseqOf(this.done.get(seq) as M);
    if (dseq <= this.ackedDelivery) return false;
    for (const [s, d] of this.open) if (s > seq && d < dseq) return false;
    for (const [s, m] of this.done) if (s > seq && this.dseqOf(m) < dseq) return false;
    return true;
  }

  /** The rare case (redeliveries out of order): the highest done sequence below `limit` that {@link ackable} allows. */
  private highestAckableBelow(limit: number): number | undefined {
    const held: Array<{ seq: number; dseq: number; done: boolean }> = [];
    for (const [seq, dseq] of this.open) held.push({ seq, dseq, done: false });
    for (const [seq, m] of this.done) held.push({ seq, dseq: this.dseqOf(m), done: true });
    held.sort((a, b) => b.seq - a.seq || Number(a.done) - Number(b.done));
    let earliestAbove = Infinity;
    for (const { seq, dseq, done } of held) {
      if (done && seq < limit && dseq < earliestAbove && dseq > this.ackedDelivery) return seq;
      earliestAbove = Math.min(earliestAbove, dseq);
    }
    return undefined;
  }
}
