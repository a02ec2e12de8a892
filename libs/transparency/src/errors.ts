/** What a proof or tree operation was refused for. */
export type ProofErrorCode =
  | 'index-out-of-range' // a leaf index or tree size outside the tree
  | 'bad-hash-size' // a hash that is not 32 bytes
  | 'proof-length' // too many or too few proof elements for the sizes given
  | 'root-mismatch' // the recomputed root differs from the one given
  | 'missing-node' // the hash store has no hash for a subtree a proof needs
  | 'node-conflict'; // a subtree stored again with another hash: the log forked or its storage was altered

/** A typed failure of proof generation or verification; `code` says which, the message names the values. */
export class ProofError extends Error {
  override readonly name = 'ProofError';
  constructor(
    readonly code: ProofErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Why leaf material was refused; the message names the field. */
export class LeafError extends Error {
  override readonly name = 'LeafError';
}
