import { FailureList } from './failure-list';
import type { AuditEvent } from '@audit/contracts';
import { CheckpointError, openCheckpoint, type Checkpoint } from './checkpoint';
import { leafHashLatin1 } from './hash';
import { LeafError, parseLeafBytes, verifyEventLeaf, type ContentField, type LeafV1, type StoredEventRow } from './leaf';
import { NoteError, type NoteVerifier } from './note';
import { receivedThroughOf } from './received-through';
import { RootFrontier } from './root-frontier';
import type { SubtreeNode } from './tree-math';

/** What an event is once its log was walked. */
export type EventStatus = 'verified' | 'erased' | 'failed' | 'pending' | 'purged';

/** One event (or leaf) that did not verify, named, with every reason found. */
export interface EventFailure {
  /** The event's id, when the log or the table still names one. */
  eventId: string | null;
  /** Its leaf index, when it has a leaf. */
  leafIndex: number | null;
  reasons: string[];
}

/** An event's row as the verifier reads it: identity and content, times as the database returns them. */
export type VerifiedRow = Omit<StoredEventRow, 'commitment' | 'salt' | 'user'>;

/** One leaf of the log, with the row (if any) of the event it seals. Entries come in leaf order; a leaf whose id has two rows comes twice. */
export interface LogEntry {
  leafIndex: number;
  eventId: string;
  leaf: Buffer;
  /** The commitment's 32 salt bytes; null once erased. */
  salt: Buffer | null;
  /** The `user` snapshot the commitment covers; null once erased (or when the event had none). */
  user: AuditEvent['user'] | null;
  row: VerifiedRow | null;
}

/** An event row no leaf seals. */
export interface UnsealedRow {
  id: string;
  receivedAt: Date | string;
}

/** A checkpoint a verification is measured against: the log's latest, or one saved earlier outside the platform. */
export interface CheckpointCheck {
  source: 'latest' | 'saved';
  /** The signed note text. */
  note: string;
  size: number | null;
  ok: boolean;
  /** Why it failed (signature, root, consistency); empty when ok. */
  reasons: string[];
  /**
   * The time through which it holds every event received (its signed `received-through` line, see
   * received-through.ts); null when it states none, absent when it could not be opened.
   */
  receivedThrough?: string | null;
}

export interface LogVerifierOptions {
  /** The keys a checkpoint may be signed with (given out of band: never the log's own list alone). */
  keys: readonly NoteVerifier[];
  /** The log's latest signed checkpoint, if it has one. */
  latest: string | undefined;
  /** A checkpoint saved earlier: the log must still hold it and have grown from it. */
  saved?: string;
  /** The first leaf the log still holds: the leaves before it were purged by retention (0 when none were). */
  purgedBefore: number;
  /** The hashes kept of the purged leaves (their maximal complete subtrees, largest first); empty when none were purged. */
  frontier: readonly SubtreeNode[];
  /** Events created before this were purged by retention: a leaf without its row is then `purged`, not failed. */
  purgedThrough: Date | null;
  /** A row without a leaf received after this is `pending` (the sealer has not reached it yet), not failed. */
  pendingAfter: Date;
}

/** The walk's outcome: counts per status, every failed event named, and each checkpoint's verdict. */
export interface LogVerificationReport {
  counts: Record<EventStatus, number>;
  /** The failed events named, the first MAX_NAMED_FAILURES of them. */
  failures: EventFailure[];
  /** Failures counted beyond those named. */
  unnamedFailures: number;
  checkpoints: CheckpointCheck[];
  /** Whether anything failed: an event or a checkpoint. */
  ok: boolean;
}

type Pending = { checkpoint: CheckpointCheck; parsed: Checkpoint };

/** Opens a signed checkpoint, turning every refusal into a reason. */
function openChecked(source: CheckpointCheck['source'], note: string, keys: readonly NoteVerifier[]): Pending | CheckpointCheck {
  try {
    const { checkpoint } = openCheckpoint(note, keys);
    try {
      return { checkpoint: { source, note, size: checkpoint.size, ok: true, reasons: [], receivedThrough: receivedThroughOf(checkpoint) }, parsed: checkpoint };
    } catch (error) {
      return { source, note, size: null, ok: false, reasons: [`it is signed, but ${(error as Error).message}`] };
    }
  } catch (error) {
    const why = error instanceof NoteError || error instanceof CheckpointError ? error.message : String(error);
    return { source, note, size: null, ok: false, reasons: [`its signature does not verify with the given keys: ${why}`] };
  }
}

/**
 * Walks one organization's log from its stored parts and judges every event, with the public keys
 * alone as trust: each leaf against its event's row ({@link verifyEventLeaf}), the leaves against the
 * latest checkpoint's root, and the log against a checkpoint saved earlier (the first `size` leaves
 * must still give its root, so a log truncated and regrown, or rewritten, fails). Fed in leaf order
 * ({@link addEntries}), then the rows no leaf seals ({@link addUnsealed}); {@link finish} gives the report.
 *
 * Pure: reading the parts is the caller's (a database walk, or an export bundle).
 */
export class LogVerifier {
  private readonly counts: Record<EventStatus, number> = { verified: 0, erased: 0, failed: 0, pending: 0, purged: 0 };
  private readonly failures = new FailureList();
  private readonly checks: CheckpointCheck[] = [];
  /** Checkpoints whose root is compared when the walk reaches their size, smallest first. */
  private readonly due: Pending[] = [];
  /** The tree rebuilt from the leaves read so far (latin1 hashes: see root-frontier.ts). */
  private range: RootFrontier;
  private next: number;
  /** Set once a leaf is missing: no root can be computed past it. */
  private broken: string | undefined;
  /** Verified and erased events per covering checkpoint: they fail with it. */
  private provisional = { verified: 0, erased: 0 };
  private latestSize = 0;
  /** The latest checkpoint's signed `received-through` time: a row received by then without a leaf is not merely pending. */
  private latestReceivedThrough: string | null = null;
  private lastEventId: string | undefined;

  constructor(private readonly options: LogVerifierOptions) {
    this.next = options.purgedBefore;
    try {
      this.range = RootFrontier.fromNodes(options.purgedBefore, options.frontier);
    } catch (error) {
      this.range = RootFrontier.fromNodes(0, []);
      this.broken = `the hashes kept of the ${options.purgedBefore} purged leaves are incomplete: ${(error as Error).message}`;
      this.failures.add({ eventId: null, leafIndex: null, reasons: [this.broken] });
    }
    let latestOrigin: string | undefined;
    for (const [source, note] of [['latest', options.latest], ['saved', options.saved]] as const) {
      if (note === undefined) continue;
      const opened = openChecked(source, note, options.keys);
      if (!('parsed' in opened)) {
        this.checks.push(opened);
        // Its size cannot be trusted: every leaf counts as claimed by it, so none passes as merely unsealed.
        if (source === 'latest') this.latestSize = Number.POSITIVE_INFINITY;
        continue;
      }
      this.checks.push(opened.checkpoint);
      if (source === 'latest') {
        latestOrigin = opened.parsed.origin;
        this.latestSize = opened.parsed.size;
        this.latestReceivedThrough = opened.checkpoint.receivedThrough ?? null;
      } else if (latestOrigin !== undefined && opened.parsed.origin !== latestOrigin) {
        this.fail(opened.checkpoint, `it is the checkpoint of the log "${opened.parsed.origin}", not of "${latestOrigin}"`);
        continue;
      }
      if (opened.parsed.size < options.purgedBefore) {
        this.fail(opened.checkpoint, `its ${opened.parsed.size} leaves were purged (the log starts at leaf ${options.purgedBefore}): it can no longer be checked`);
        continue;
      }
      this.due.push(opened);
    }
    this.due.sort((a, b) => a.parsed.size - b.parsed.size);
    if (options.latest === undefined) this.checks.push({ source: 'latest', note: '', size: null, ok: true, reasons: [] });
    this.compareDue();
  }

  /** The next leaves, in leaf order; a leaf whose event id has two rows comes twice, one after the other. */
  addEntries(entries: readonly LogEntry[]): void {
    for (const entry of entries) {
      if (entry.leafIndex === this.next - 1 && entry.eventId === this.lastEventId) {
        this.failEvent(entry.eventId, entry.leafIndex, ['a second row in audit_trail_events has this event id']);
        continue;
      }
      if (entry.leafIndex !== this.next && this.broken === undefined) {
        this.broken = `leaves ${this.next}..${entry.leafIndex - 1} are missing from the log`;
        this.failures.add({ eventId: null, leafIndex: this.next, reasons: [this.broken] });
        this.counts.failed += entry.leafIndex - this.next;
      }
      if (this.broken === undefined) {
        this.range.append(leafHashLatin1(entry.leaf));
        // Compare each due checkpoint exactly at its size.
        if (this.due.length > 0 && this.next + 1 === this.due[0].parsed.size) {
          this.next = entry.leafIndex + 1;
          this.compareDue();
        }
      }
      this.next = entry.leafIndex + 1;
      this.lastEventId = entry.eventId;
      this.judge(entry);
    }
  }

  /** Rows of the organization that no leaf seals. */
  addUnsealed(rows: readonly UnsealedRow[]): void {
    for (const row of rows) {
      const received = new Date(row.receivedAt);
      const through = this.latestReceivedThrough;
      if (through !== null && !(received.getTime() > Date.parse(through))) {
        this.failEvent(row.id, null, [`no leaf of the log seals the event, yet it was received at or before ${through}, through which the latest checkpoint holds every event received`]);
      } else if (received.getTime() > this.options.pendingAfter.getTime()) this.counts.pending++;
      else this.failEvent(row.id, null, ['the event is in audit_trail_events but no leaf of the log seals it (inserted outside the pipeline)']);
    }
  }

  finish(): LogVerificationReport {
    // Checkpoints the walk never reached: the log no longer holds their leaves.
    for (const due of this.due.splice(0)) {
      const have = this.broken === undefined ? this.next : this.range.size;
      const reason =
        this.broken !== undefined
          ? `its root cannot be recomputed: ${this.broken}`
          : `the log holds ${have} leaves but this checkpoint covers ${due.parsed.size}: leaves ${have}..${due.parsed.size - 1} are gone (truncated${due.checkpoint.source === 'saved' ? ' since it was saved' : ''})`;
      this.fail(due.checkpoint, reason);
      if (this.broken === undefined) {
        this.failures.add({ eventId: null, leafIndex: have, reasons: [`leaves ${have}..${due.parsed.size - 1} of the ${due.checkpoint.source} checkpoint are gone`] });
        this.counts.failed += due.parsed.size - have;
      }
    }
    this.settle();
    const ok = this.counts.failed === 0 && this.checks.every((c) => c.ok);
    return { counts: { ...this.counts }, failures: this.failures.named, unnamedFailures: this.failures.unnamed, checkpoints: this.checks, ok };
  }

  private compareDue(): void {
    while (this.due.length > 0 && this.due[0].parsed.size === this.range.size && this.broken === undefined) {
      const { checkpoint, parsed } = this.due.shift() as Pending;
      if (!this.range.root().equals(parsed.rootHash)) {
        this.fail(
          checkpoint,
          checkpoint.source === 'saved'
            ? `the log's first ${parsed.size} leaves no longer give this checkpoint's root: the log was rewritten or truncated and regrown since it was saved`
            : `the log's first ${parsed.size} leaves do not give its root: leaves were changed, added or removed after it was signed`,
        );
      }
    }
  }

  private fail(checkpoint: CheckpointCheck, reason: string): void {
    checkpoint.ok = false;
    checkpoint.reasons.push(reason);
  }

  /** Events counted verified or erased stand only if the latest checkpoint (which covers them) held. */
  private settle(): void {
    const latest = this.checks.find((c) => c.source === 'latest');
    const proven = latest !== undefined && latest.ok && this.broken === undefined;
    if (proven) {
      this.counts.verified += this.provisional.verified;
      this.counts.erased += this.provisional.erased;
    } else {
      this.counts.failed += this.provisional.verified + this.provisional.erased;
    }
    this.provisional = { verified: 0, erased: 0 };
  }

  private failEvent(eventId: string | null, leafIndex: number | null, reasons: string[]): void {
    this.counts.failed++;
    this.failures.add({ eventId, leafIndex, reasons });
  }

  private judge(entry: LogEntry): void {
    let sealed: LeafV1;
    try {
      sealed = parseLeafBytes(entry.leaf);
    } catch (error) {
      this.failEvent(entry.eventId, entry.leafIndex, [`its leaf is unreadable: ${error instanceof LeafError ? error.message : String(error)}`]);
      return;
    }
    if (sealed.id !== entry.eventId) {
      this.failEvent(entry.eventId, entry.leafIndex, [`its leaf seals the event ${sealed.id}`]);
      return;
    }
    if (entry.row === null) {
      const purged = this.options.purgedThrough !== null && new Date(sealed.createdAt).getTime() < this.options.purgedThrough.getTime();
      if (purged) this.counts.purged++;
      else this.failEvent(entry.eventId, entry.leafIndex, ['the event was sealed but its row is gone from audit_trail_events (deleted)']);
      return;
    }
    const verdict = verifyEventLeaf(
      { ...entry.row, user: entry.user as Exclude<AuditEvent['user'], undefined>, commitment: sealed.commitment, salt: entry.salt === null ? null : entry.salt.toString('base64') } as StoredEventRow &
        Record<ContentField, unknown>,
      sealed,
    );
    if (verdict.status === 'tampered') {
      this.failEvent(
        entry.eventId,
        entry.leafIndex,
        verdict.parts.map((part) =>
          part === 'content'
            ? 'its content (user, IP address, names, metadata) is not what was sealed'
            : part === 'salt'
              ? 'its content is there without the salt it was sealed with'
              : `its ${part} is not the one sealed`,
        ),
      );
      return;
    }
    if (entry.leafIndex >= this.latestSize) {
      const through = this.latestReceivedThrough;
      // Leaf times compare as strings (one fixed-width form); the leaf's own time, which its hash covers.
      if (through !== null && sealed.receivedAt <= through) {
        this.failEvent(entry.eventId, entry.leafIndex, [`it was sealed after the latest checkpoint, yet received at ${sealed.receivedAt}, at or before ${through}, through which that checkpoint holds every event received`]);
      } else this.counts.pending++;
      return;
    }
    if (verdict.status === 'verified') this.provisional.verified++;
    else this.provisional.erased++;
  }
}
