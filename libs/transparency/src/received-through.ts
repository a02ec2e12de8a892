import { CheckpointError, type Checkpoint } from './checkpoint';
import { isLeafTime } from './leaf';

/**
 * The checkpoint extension line (C2SP tlog-checkpoint allows lines after the root hash, signed with it)
 * `received-through <time>`: the signer states that every event of the log received (its `receivedAt`) at
 * or before `<time>` is among the checkpoint's leaves.
 *
 * Why: a bundle's line for an event the checkpoint does not cover (`{"leafIndex":null,"event"}`) is not
 * vouched by anything, and whoever edits a bundle can turn a sealed line into one (the proof of the other
 * leaves is recomputed from the hashes it already holds). Only the signer knows which events its tree
 * holds, so only a signed statement can refute such a line: with this one, a line that says "not yet
 * sealed" for an event received at or before `<time>` fails. Lines received later stay unvouched, and the
 * verifier reports them as such (counted apart, exit status apart); a checkpoint without the line (every
 * one signed before it existed) vouches for no unsealed line at all.
 *
 * The signer may only write a time it can stand by: the sealer's `ReceivedThroughBound` (libs/sealer)
 * stays before the `receivedAt` of every event it has not appended (those waiting on the bus, read one by
 * one, and those ingest may still publish, a margin behind now), and signs no time while it holds dead
 * letters: an event it never appended must not be vouched for.
 */
export const RECEIVED_THROUGH = 'received-through';

const PREFIX = `${RECEIVED_THROUGH} `;

/** The extension line for `time` (a leaf time: `toISOString`'s form), to pass in a checkpoint's `extensions`. */
export function receivedThroughLine(time: string): string {
  if (!isLeafTime(time)) throw new CheckpointError(`${RECEIVED_THROUGH} takes a time as toISOString writes it, not ${JSON.stringify(time)}`);
  return `${PREFIX}${time}`;
}

/**
 * The time a checkpoint vouches for (see {@link RECEIVED_THROUGH}), or null when it states none. Throws a
 * CheckpointError, naming the line, when it states it twice or not as a time: a signed statement that
 * cannot be read is refused rather than ignored. Other extension lines are not this platform's and are left alone.
 */
export function receivedThroughOf(checkpoint: Pick<Checkpoint, 'extensions'>): string | null {
  let found: string | null = null;
  checkpoint.extensions.forEach((line, i) => {
    if (line !== RECEIVED_THROUGH && !line.startsWith(PREFIX)) return;
    const time = line.slice(PREFIX.length);
    if (found !== null) throw new CheckpointError(`line ${i + 4} (extension) states ${RECEIVED_THROUGH} a second time`);
    if (!isLeafTime(time)) throw new CheckpointError(`line ${i + 4} (extension) ${JSON.stringify(line)} is not "${PREFIX}<time as toISOString writes it>"`);
    found = time;
  });
  return found;
}

/**
 * Why a line that says its event is not yet sealed cannot be, against the checkpoint's `receivedThrough`
 * (null: nothing to hold it to); undefined when it may be. `event` is the line's event object as read.
 * Leaf times compare as strings: one fixed-width form, most significant field first.
 */
export function unsealedClaimFault(event: unknown, receivedThrough: string | null): string | undefined {
  if (receivedThrough === null) return undefined;
  const receivedAt = typeof event === 'object' && event !== null && !Array.isArray(event) ? (event as Record<string, unknown>).receivedAt : undefined;
  if (!isLeafTime(receivedAt)) {
    return `it says it is not yet sealed, but its receivedAt is not a time to show it came after ${receivedThrough}, through which the checkpoint holds every event received`;
  }
  if (receivedAt <= receivedThrough) {
    return `it says it is not yet sealed, but it was received at ${receivedAt}, at or before ${receivedThrough}, through which the checkpoint holds every event received: its sealed line was replaced`;
  }
  return undefined;
}
