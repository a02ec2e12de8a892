/**
 * `@audit/sealer`: the sealer service (issue 16): appends every canonical event to its organization's
 * RFC 9162 Merkle log exactly once, and signs checkpoints of it. See README.md and docs/transparency.md.
 */
export * from './config';
export * from './leaf-material';
export * from './log-appender';
export * from './sealer.consumer';
export * from './checkpoint-signer';
export * from './received-through-bound';
export * from './sealer.module';
