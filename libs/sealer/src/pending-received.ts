/** What one AUDIT_EVENTS message tells the bound: the organizations it counts for, and its `receivedAt`. */
export interface ReceivedNote {
  organizationId: string;
  /** The payload's organization when it differs from the subject's (the message counts for both). */
  alsoFor?: string;
  receivedAtMs: number;
}

/** A message the sealer holds but has not decoded yet: its note is read from it only if a pass needs it first. */
export interface HeldMessage {
  subject: string;
  data: Uint8Array;
}

/** How many deliveries past the ack floor are remembered; past it, one is not noted (the scan reads it instead). */
export const PENDING_MEMORY_LIMIT = 50_000;

/**
 * What the sealer already knows of the AUDIT_EVENTS messages past its ack floor, so a signing pass reads
 * from the bus only those it has not seen: the received-through scan used to read every message past the
 * floor each pass, and under steady load that was most messages once or twice again (a delivery by
 * nats-server and a JSON parse each).
 *
 * A stream message never changes once stored, so a note taken of it (from a scan, or from the sealer's own
 * delivery of it) stays true for as long as it is past the floor. `coveredThrough` is the sequence through
 * which every message matching the events filter is noted (or was read and is no event): a pass scans only
 * after it. Remembering a message that has since gone (deleted by the stream's limits) only makes the time
 * earlier, never later.
 */
export class PendingReceived {
  /** The note of each message past the floor; a held message until read, null once read and found no event. */
  private readonly notes = new Map<number, ReceivedNote | HeldMessage | null>();
  private covered = 0;
  private floor = 0;

  /**
   * `noteOf` reads a held message's note (as a scan reads the message from the bus), undefined when it is no event.
   */
  constructor(private readonly noteOf: (message: HeldMessage) => ReceivedNote | undefined) {}

  /**
   * Notes the message at stream sequence `seq` as the sealer's own consumer delivered it (decoded). Past
   * {@link PENDING_MEMORY_LIMIT} (no pass for a long while) it is left for a scan to read.
   */
  noteDelivered(seq: number, note: ReceivedNote): void {
    this.remember(seq, note);
  }

  /**
   * Notes a message the sealer's consumer received and holds, not yet decoded (it waits for its batch): a
   * pass before it is decoded reads it from here, once, rather than from the bus. Under steady load most
   * messages past the floor at a pass are such, and each scan delivered them all again.
   */
  noteHeld(seq: number, message: HeldMessage): void {
    this.remember(seq, message);
  }

  private remember(seq: number, note: ReceivedNote | HeldMessage): void {
    if (seq <= this.floor || (this.notes.size >= PENDING_MEMORY_LIMIT && !this.notes.has(seq))) return;
    this.notes.set(seq, note);
  }

  /** Notes a message a scan read: always kept, since {@link markCovered} then vouches for the whole range scanned. */
  noteScanned(seq: number, note: ReceivedNote): void {
    if (seq > this.floor) this.notes.set(seq, note);
  }

  /**
   * Forgets everything at or below `ackFloor` (acked: in the tree). A floor that went back, or a stream whose
   * last sequence is below what was covered (the consumer or the stream made anew), forgets everything.
   */
  advance(ackFloor: number, lastSeq: number): void {
    if (ackFloor < this.floor || lastSeq < this.covered) {
      this.notes.clear();
      this.covered = 0;
    }
    this.floor = ackFloor;
    this.covered = Math.max(this.covered, ackFloor);
    for (const seq of this.notes.keys()) if (seq <= ackFloor) this.notes.delete(seq);
  }

  /**
   * The sequence through which the messages are known: what was covered, extended over the consecutive
   * sequences noted after it. A pass scans from the one after.
   */
  coveredThrough(): number {
    while (this.notes.has(this.covered + 1)) this.covered++;
    return this.covered;
  }

  /** After a scan read every message matching the filter through `lastSeq` from `coveredThrough() + 1`. */
  markCovered(lastSeq: number): void {
    this.covered = Math.max(this.covered, lastSeq);
  }

  /** The earliest `receivedAt` of each organization's messages past the floor (a held message read now, and kept read). */
  oldestByOrganization(): Map<string, number> {
    const notes: ReceivedNote[] = [];
    for (const [seq, value] of this.notes) {
      let note = value;
      if (note !== null && !isNote(note)) {
        note = this.noteOf(note) ?? null;
        this.notes.set(seq, note);
      }
      if (note !== null) notes.push(note);
    }
    return oldestByOrganization(notes);
  }
}

const isNote = (value: ReceivedNote | HeldMessage): value is ReceivedNote => 'receivedAtMs' in value;

/** The earliest `receivedAt` of each organization these notes count for (the subject's, and the payload's too). */
export function oldestByOrganization(notes: Iterable<ReceivedNote>): Map<string, number> {
  const oldest = new Map<string, number>();
  const put = (organizationId: string, ms: number): void => {
    const known = oldest.get(organizationId);
    if (known === undefined || ms < known) oldest.set(organizationId, ms);
  };
  for (const { organizationId, alsoFor, receivedAtMs } of notes) {
    put(organizationId, receivedAtMs);
    if (alsoFor !== undefined) put(alsoFor, receivedAtMs);
  }
  return oldest;
}
