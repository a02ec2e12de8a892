/**
 * `@audit/transparency`: the pure core of the tamper-evident log. RFC 9162 Merkle tree hashing,
 * inclusion and consistency proofs generated from a store of complete-subtree hashes, and the
 * incremental appender (compact range) that tells a log which hashes to persist.
 *
 * No I/O: storage plugs in through {@link SubtreeHashStore}. Import from `@audit/transparency` only.
 */
export { EMPTY_ROOT, HASH_SIZE, leafHash, nodeHash, rootOf } from './hash';
export { ProofError } from './errors';
export type { ProofErrorCode } from './errors';
export type { NodeId, SubtreeNode } from './tree-math';
export { InMemoryHashStore } from './store';
export { isStoredLevel, MAX_SPAN_WIDTH, spansFor, TILE_HEIGHT, TiledHashStore } from './tiles';
export type { NodeSpan, StoredNodeSource } from './tiles';
export { isPrunable, retainedAfterPurge } from './prune';
export type { SubtreeHashStore } from './store';
export { CompactRange } from './compact-range';
export type { AppendResult } from './compact-range';
export { consistencyProof, inclusionProof, rootFromInclusionProof, verifyConsistency, verifyInclusion } from './proof';
export {
  generateNoteKey,
  isValidKeyName,
  keyIdOf,
  NoteError,
  openNote,
  parseSignerKey,
  parseVerifierKey,
  signerKeyOf,
  signNote,
  verifierKeyOf,
} from './note';
export type { NoteErrorCode, NoteSignature, NoteSigner, NoteVerifier, OpenedNote } from './note';
export { CheckpointError, formatCheckpoint, openCheckpoint, parseCheckpoint, signCheckpoint } from './checkpoint';
export type { Checkpoint } from './checkpoint';
export { isLogOriginOf, logOrigin } from './log-origin';
export { RECEIVED_THROUGH, receivedThroughLine, receivedThroughOf, unsealedClaimFault } from './received-through';
export {
  commitmentOf,
  CONTENT_FIELDS,
  IDENTITY_FIELDS,
  isLeafTime,
  LEAF_VERSION,
  LeafError,
  leafBytesOf,
  leafOf,
  makeSalt,
  openingText,
  parseLeafBytes,
  sealEvent,
  verifyEventLeaf,
} from './leaf';
export { canonicalJson } from './canonical-json';
export type { ContentField, EventIdentity, IdentityField, LeafV1, LeafVerdict, StoredEventRow } from './leaf';
export { multiInclusionProof, rangedMultiInclusion, rangeHashes, rootFromMultiInclusionProof, verifyMultiInclusion } from './multi-proof';
export type { IndexedLeaf, LeafColumns, LeafRange, RangeHashes } from './multi-proof';
export { LogVerifier } from './log-verifier';
export { MAX_NAMED_FAILURES } from './failure-list';
export type { CheckpointCheck, EventFailure, EventStatus, LogEntry, LogVerificationReport, LogVerifierOptions, UnsealedRow, VerifiedRow } from './log-verifier';
export { BUNDLE_RANGE_LEAVES, BUNDLE_VERSION, bundleHeaderLine, pendingEventLine, proofLine, READABLE_BUNDLE_VERSIONS, sealedEventLine } from './bundle-format';
export { v1EventLine } from './bundle-v1';
export type { V1SealedEvent } from './bundle-v1';
export { BundleVerifier, MAX_BUNDLE_LINE_BYTES } from './bundle-verifier';
