import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { AuditEvent } from '@audit/contracts';
import { TransparencyLogRepository } from '@audit/persistence';
import { CompactRange, isStoredLevel, ProofError } from '@audit/transparency';
import { leafMaterialOf, SALT_BYTES } from './leaf-material';

/** How many of a batch's events one organization's log appended, and how many it already held. */
export interface AppendCount {
  appended: number;
  duplicates: number;
}

/**
 * Appends events to their organization's log exactly once, in the order given (the stream's): one
 * transaction per organization and batch, holding that log's lock, skips every event id it already holds,
 * so redeliveries, replays and a concurrent sealer's copies never append twice, and a crash rolls back.
 *
 * The appender's frontier (at most log2(n)+1 hashes) is kept in memory per organization and reused when the
 * locked tree still has the size it had after this process's last append; otherwise (another replica
 * appended) it is read back from the log's subtree hashes, one query.
 */
@Injectable()
export class LogAppender {
  private readonly frontiers = new Map<string, CompactRange>();
  /**
   * Organizations whose latest append found ids already sealed (a replay, a concurrent sealer): their next
   * appends read the sealed ids first, until one finds none, rather than fail and run again each time.
   */
  private readonly meetingSealed = new Set<string>();

  constructor(private readonly log: TransparencyLogRepository) {}

  /**
   * `firstDelivery`: none of these events was delivered before (no redelivery), so they are most likely
   * new to the log and the append skips looking them up (see the repository's `assumeFresh`; an id sealed
   * after all still makes it look them up, so this is a guess about cost, never about correctness).
   */
  async append(organizationId: string, events: readonly AuditEvent[], { firstDelivery = false }: { firstDelivery?: boolean } = {}): Promise<AppendCount> {
    const unique = firstOfEachId(events);
    let next: CompactRange | undefined;
    let foundSealed: boolean | undefined;
    const written = await this.log.append(
      organizationId,
      unique.map((e) => e.id),
      async ({ head, sealed, sealedRead, store }) => {
        foundSealed = sealedRead ? sealed.size > 0 : undefined;
        const fresh = unique.filter((e) => !sealed.has(e.id));
        if (fresh.length === 0) return null;
        let range = this.frontiers.get(organizationId);
        if (range?.size !== head.size) {
          range = await CompactRange.load(store, head.size);
          // The stored head and the stored subtrees must agree, or appending would extend a forked tree.
          if (!range.root().equals(head.rootHash)) {
            throw new ProofError('root-mismatch', `the log of ${organizationId} has the root ${head.rootHash.toString('hex')} but its subtrees give ${range.root().toString('hex')}`);
          }
        }
        const salts = randomBytes(SALT_BYTES * fresh.length);
        const leaves = fresh.map((e, i) => leafMaterialOf(e, salts.subarray(i * SALT_BYTES, (i + 1) * SALT_BYTES)));
        // Only the subtrees the log stores (interior ones of every 4th level, see the repository's append).
        const appended = range.append(
          leaves.map((l) => l.leafHash),
          (level) => level > 0 && isStoredLevel(level),
        );
        next = appended.range;
        return {
          leaves: leaves.map((l, i) => {
            const { userId, receivedAt } = fresh[i];
            const actor = userId === null ? undefined : { userId, receivedAt };
            return { leafIndex: head.size + i, eventId: l.eventId, leaf: l.leaf, parts: l.parts, salt: l.salt, user: l.user, actor };
          }),
          nodes: appended.nodes,
          head: { size: appended.range.size, rootHash: appended.root },
        };
      },
      firstDelivery && !this.meetingSealed.has(organizationId),
    );
    if (foundSealed === true) this.meetingSealed.add(organizationId);
    else if (foundSealed === false) this.meetingSealed.delete(organizationId);
    if (written === null || next === undefined) return { appended: 0, duplicates: events.length };
    // Kept only once committed; a later (larger) one from an overlapping batch of this process wins.
    const cached = this.frontiers.get(organizationId);
    if (!cached || cached.size < next.size) this.frontiers.set(organizationId, next);
    return { appended: written.leaves.length, duplicates: events.length - written.leaves.length };
  }
}

/** One event per id, the first the stream delivered: a copy within the batch is a duplicate like any other. */
function firstOfEachId(events: readonly AuditEvent[]): AuditEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => (seen.has(e.id) ? false : (seen.add(e.id), true)));
}
