import type { AuditUserSnapshot } from './event';

/**
 * What the log API answers (`GET /v1/log/...`, `GET /v1/events/:id/proof`, docs/transparency.md). Hashes,
 * leaf bytes and salts are standard padded base64; times ISO-8601 UTC.
 */

/** A signed checkpoint of an organization's log: its size, root, and the C2SP signed note that carries them. */
export interface LogCheckpoint {
  treeSize: number;
  rootHash: string;
  signedAt: string;
  /** The signed note: origin, size and root hash lines, any extension lines (the sealer's `received-through <time>`), a blank line, then `— <key name> <base64 signature>` lines. */
  note: string;
}

/** `GET /v1/log/checkpoints`: oldest first; `nextFrom` (when more match) is the `from` that continues the list. */
export interface LogCheckpointPage {
  items: LogCheckpoint[];
  nextFrom?: string;
}

/** `GET /v1/events/:id/proof`: the event's leaf and its RFC 9162 inclusion proof in the tree of the checkpoint given. */
export interface EventProof {
  eventId: string;
  leafIndex: number;
  treeSize: number;
  /** The leaf bytes (the JCS of the leaf object); its hash is SHA-256(0x00 ‖ leaf). */
  leaf: string;
  /** The commitment to the event's content (also in the leaf). */
  commitment: string;
  /** The commitment's salt; null once the event's content was erased. */
  salt: string | null;
  /** The `user` snapshot the commitment covers (Postgres keeps only each user's latest); null when none or erased. */
  user: AuditUserSnapshot | null;
  /** PATH(leafIndex, D[0:treeSize]), leaf level first. */
  inclusionProof: string[];
  checkpoint: LogCheckpoint;
}

/** `GET /v1/log/consistency`: PROOF(first, D[0:second]) of RFC 9162 §2.1.4. */
export interface ConsistencyProofBody {
  first: number;
  second: number;
  proof: string[];
}

/** `GET /v1/log/keys`: every key that signed checkpoints, as signed-note verifier keys `<name>+<keyid>+<base64>`. */
export interface LogKeys {
  items: Array<{ key: string; firstUsedAt: string }>;
}
