/** One organization's `receivedAt` read from an AUDIT_EVENTS message (a message can count for two organizations). */
export interface PendingTime {
  seq: number;
  organizationId: string;
  receivedAtMs: number;
}

/**
 * The `receivedAt` of the AUDIT_EVENTS messages past the sealer's ack floor, kept from one signing pass to
 * the next so that each pass reads only the messages stored since the last one, not every message past the
 * floor again. A stored message never changes, so what a pass read of it still holds at the next; the
 * times of messages at or below the floor are dropped as the floor passes them.
 *
 * Reading everything past the floor on every pass made the scan's cost grow with how long messages wait
 * there: a sealer a minute behind read each message a dozen times (each a JSON parse on the consumers'
 * thread and a delivery by nats-server), which is what made some bench:ingest rounds dearer than others.
 *
 * Whenever what was read cannot be trusted to describe the stream now, it is forgotten and the next scan
 * starts at the floor again: the floor went back (the `sealer` durable was made again), the stream's last
 * sequence went back, or the stream was made again (its creation time changed). A scan that fails adds
 * nothing, and the next one starts where it did.
 */
export class PendingReceivedTimes {
  /** Ascending by sequence; entries at or below {@link floor} are dropped lazily from the front. */
  private times: PendingTime[] = [];
  private start = 0;
  private floor = 0;
  /** Every message at or below this sequence was read (or was at or below the floor when read). */
  private through = 0;
  private stream?: string;

  /**
   * The first sequence the next scan must read, for a stream made at `streamCreated` whose last sequence is
   * `lastSeq` and whose durable's ack floor is `ackFloor`; past `lastSeq` when nothing new needs reading.
   */
  nextToRead(ackFloor: number, lastSeq: number, streamCreated: string): number {
    if (streamCreated !== this.stream || ackFloor < this.floor || lastSeq < this.through) this.forget(streamCreated);
    this.floor = ackFloor;
    this.through = Math.max(this.through, ackFloor);
    while (this.start < this.times.length && this.times[this.start].seq <= ackFloor) this.start++;
    // Compacted once half of the array is dropped entries: each entry is moved at most once on average.
    if (this.start > 1_024 && this.start * 2 > this.times.length) {
      this.times = this.times.slice(this.start);
      this.start = 0;
    }
    return this.through + 1;
  }

  /** What a scan from {@link nextToRead} read, every message through `lastSeq` (the sequences ascending). */
  add(read: readonly PendingTime[], lastSeq: number): void {
    for (const time of read) {
      if (time.seq > this.through && time.seq > this.floor) this.times.push(time);
    }
    this.through = Math.max(this.through, lastSeq, read.length > 0 ? read[read.length - 1].seq : 0);
  }

  /** Nothing read is kept: the next scan starts at the floor. */
  forget(streamCreated?: string): void {
    this.times = [];
    this.start = 0;
    this.floor = 0;
    this.through = 0;
    this.stream = streamCreated;
  }

  /** The earliest `receivedAt` of each organization's messages past the floor (organizations with none are absent). */
  oldestByOrganization(): Map<string, number> {
    const oldest = new Map<string, number>();
    for (let i = this.start; i < this.times.length; i++) {
      const { organizationId, receivedAtMs } = this.times[i];
      const known = oldest.get(organizationId);
      if (known === undefined || receivedAtMs < known) oldest.set(organizationId, receivedAtMs);
    }
    return oldest;
  }
}
