import { Injectable } from '@nestjs/common';
import type { AuditEvent } from '@audit/contracts';
import { TransparencyLogRepository } from '@audit/persistence';
import { CompactRange, isStoredLevel, ProofError } from '@audit/transparency';
import { leafMaterialOf, SaltSource, type LeafMaterial } from './leaf-material';

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
  private readonly salts = new SaltSource();

  constructor(private readonly log: TransparencyLogRepository) {}

  /** The leaf of an event with a fresh salt, ready for {@link appendSealed}. */
  seal(event: AuditEvent): LeafMaterial {
    return leafMaterialOf(event, this.salts.next());
  }

  /** Appends events of one organization, each sealed with a fresh salt. */
  async append(organizationId: string, events: readonly AuditEvent[]): Promise<AppendCount> {
    return this.appendSealed(
      organizationId,
      events.map((e) => this.seal(e)),
    );
  }

  /**
   * Appends leaves already made (`leafMaterialOf`, each with its own fresh salt) of one organization's
   * events: the sealer makes them as each message is decoded, so a batch holds only these and not the events.
   */
  async appendSealed(organizationId: string, material: readonly LeafMaterial[]): Promise<AppendCount> {
    const unique = firstOfEachId(material);
    for (const m of unique) {
      if (m.organizationId !== organizationId) throw new Error(`an append to the log of ${organizationId} holds an event of ${m.organizationId}`);
    }
    let next: CompactRange | undefined;
    const written = await this.log.append(
      organizationId,
      unique.map((m) => m.eventId),
      async ({ head, sealed, store }) => {
        const fresh = sealed.size === 0 ? unique : unique.filter((m) => !sealed.has(m.eventId));
        if (fresh.length === 0) return null;
        let range = this.frontiers.get(organizationId);
        if (range?.size !== head.size) {
          range = await CompactRange.load(store, head.size);
          // The stored head and the stored subtrees must agree, or appending would extend a forked tree.
          if (!range.root().equals(head.rootHash)) {
            throw new ProofError('root-mismatch', `the log of ${organizationId} has the root ${head.rootHash.toString('hex')} but its subtrees give ${range.root().toString('hex')}`);
          }
        }
        // Only the subtrees the log stores (interior ones of every 4th level, see the repository's append).
        const appended = range.append(
          fresh.map((l) => l.leafHash),
          (level) => level > 0 && isStoredLevel(level),
        );
        next = appended.range;
        return {
          leaves: fresh.map((l, i) => ({ leafIndex: head.size + i, eventId: l.eventId, leaf: l.leaf, salt: l.salt, user: l.user })),
          nodes: appended.nodes,
          head: { size: appended.range.size, rootHash: appended.root },
        };
      },
    );
    if (written === null || next === undefined) return { appended: 0, duplicates: material.length };
    // Kept only once committed; a later (larger) one from an overlapping batch of this process wins.
    const cached = this.frontiers.get(organizationId);
    if (!cached || cached.size < next.size) this.frontiers.set(organizationId, next);
    return { appended: written.leaves.length, duplicates: material.length - written.leaves.length };
  }
}

/** One leaf per event id, the first the stream delivered: a copy within the batch is a duplicate like any other. */
function firstOfEachId(material: readonly LeafMaterial[]): LeafMaterial[] {
  const seen = new Set<string>();
  return material.filter((m) => (seen.has(m.eventId) ? false : (seen.add(m.eventId), true)));
}
