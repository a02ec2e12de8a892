import { Injectable } from '@nestjs/common';
import type { ConsistencyProofBody, EventProof, LogCheckpoint, LogCheckpointPage, LogKeys } from '@audit/contracts';
import { TransparencyLogRepository, type StoredCheckpoint } from '@audit/persistence';
import { AppError } from '@audit/platform';
import { consistencyProof, inclusionProof, parseLeafBytes, ProofError } from '@audit/transparency';

const b64 = (bytes: Buffer): string => bytes.toString('base64');

const checkpointBody = (c: StoredCheckpoint): LogCheckpoint => ({ treeSize: c.treeSize, rootHash: b64(c.rootHash), signedAt: c.signedAt.toISOString(), note: c.note });

/**
 * The log API's use cases: an organization's checkpoints, an event's inclusion proof, consistency proofs
 * between tree sizes, and the verification keys. Every read is of the caller's organization; proofs are
 * answered from the stored subtree hashes (one read of a few index ranges each: the log keeps every 4th level), never by a scan.
 */
@Injectable()
export class LogReads {
  constructor(private readonly log: TransparencyLogRepository) {}

  async latestCheckpoint(organizationId: string): Promise<LogCheckpoint> {
    return checkpointBody(await this.latest(organizationId));
  }

  async checkpoints(organizationId: string, window: { from?: Date; to?: Date }, limit: number): Promise<LogCheckpointPage> {
    const found = await this.log.checkpoints(organizationId, window, limit + 1);
    const page: LogCheckpointPage = { items: found.slice(0, limit).map(checkpointBody) };
    if (found.length > limit) page.nextFrom = found[limit].signedAt.toISOString();
    return page;
  }

  /**
   * The event's leaf and its inclusion proof in the tree of `treeSize` leaves (a checkpoint's size; default
   * the latest checkpoint's). Refusals name `treeSize` when it is not a checkpoint or does not hold the event.
   */
  async eventProof(organizationId: string, eventId: string, treeSize?: number): Promise<EventProof> {
    // The leaf and the latest checkpoint in one round trip, the path's hashes in a second: two in all.
    const { leaf, latest } = await this.log.proofStart(organizationId, eventId);
    // Another organization's event, an unknown id and an event not yet sealed look the same.
    if (!leaf) throw new AppError('NOT_FOUND', `no sealed event ${eventId} (events are sealed within seconds of being accepted)`);
    if (!latest) throw noCheckpoint();
    let checkpoint = latest;
    if (treeSize !== undefined) {
      if (treeSize > latest.treeSize) throw invalid('treeSize', `is beyond the latest checkpoint (tree size ${latest.treeSize})`);
      const at = treeSize === latest.treeSize ? latest : await this.log.checkpointOfSize(organizationId, treeSize);
      if (!at) throw invalid('treeSize', 'is not the size of a checkpoint (GET /v1/log/checkpoints lists them)');
      if (leaf.leafIndex >= treeSize) throw invalid('treeSize', `is too small: the event is leaf ${leaf.leafIndex}, sealed after that checkpoint`);
      checkpoint = at;
    } else if (leaf.leafIndex >= latest.treeSize) {
      throw new AppError('NOT_FOUND', `event ${eventId} is sealed (leaf ${leaf.leafIndex}) but no checkpoint covers it yet: retry after SEAL_INTERVAL`);
    }
    const path = await inclusionProof(this.log.hashStore(organizationId), leaf.leafIndex, checkpoint.treeSize);
    return {
      eventId,
      leafIndex: leaf.leafIndex,
      treeSize: checkpoint.treeSize,
      leaf: b64(leaf.leaf),
      commitment: parseLeafBytes(leaf.leaf).commitment,
      salt: leaf.salt === null ? null : b64(leaf.salt),
      user: leaf.user,
      inclusionProof: path.map(b64),
      checkpoint: checkpointBody(checkpoint),
    };
  }

  /**
   * The consistency proof between two tree sizes, neither beyond the latest checkpoint. After a retention
   * purge, a `first` inside the purged prefix is proven when the subtree hashes the purge kept suffice (its
   * proofs from the purged size on always do: libs/transparency's `isPrunable`), and otherwise refused
   * with a 400 naming `first`: the hashes that proof needs are gone.
   */
  async consistency(organizationId: string, first: number, second: number): Promise<ConsistencyProofBody> {
    const latest = await this.latest(organizationId);
    if (second > latest.treeSize) throw invalid('second', `is beyond the latest checkpoint (tree size ${latest.treeSize})`);
    if (first > second) throw invalid('first', 'must not be larger than second');
    try {
      const proof = await consistencyProof(this.log.hashStore(organizationId), first, second);
      return { first, second, proof: proof.map(b64) };
    } catch (error) {
      if (!(error instanceof ProofError && error.code === 'missing-node')) throw error;
      const purgedBefore = await this.log.purgedBefore(organizationId);
      // A hash missing past the purged prefix is damage, not retention: the server error it is.
      if (first >= purgedBefore) throw error;
      throw invalid('first', `is below ${purgedBefore}: retention purged the log's first ${purgedBefore} leaves, and with them hashes a proof from ${first} needs`);
    }
  }

  async keys(): Promise<LogKeys> {
    return { items: (await this.log.keys()).map((k) => ({ key: k.verifierKey, firstUsedAt: k.firstUsedAt.toISOString() })) };
  }

  private async latest(organizationId: string): Promise<StoredCheckpoint> {
    const latest = await this.log.latestCheckpoint(organizationId);
    if (!latest) throw noCheckpoint();
    return latest;
  }
}

function noCheckpoint(): AppError {
  return new AppError('NOT_FOUND', "the organization's log has no checkpoint yet");
}

function invalid(path: string, reason: string): AppError {
  return new AppError('VALIDATION_FAILED', `invalid parameter(s): ${path}`, [{ path, reason }]);
}
