/**
 * A verifiable export (format `bundle`, version 3): JSON lines, each ending in "\n", written by these
 * functions only (the exporter, the benches and the tests all call them), read by {@link BundleVerifier}.
 *
 * 1. `{"bundle":2,"organizationId":"<org>","checkpoint":"<signed note>"|null}`
 * 2. one line per event, newest first:
 *    - sealed: `{"leafIndex":<n>,"leaf":<leaf>,"opening":<opening>|null}`, where `<leaf>` is the exact leaf
 *      bytes the log holds (the JCS object whose RFC 9162 leaf hash is in the tree) and `<opening>` the
 *      exact text whose SHA-256 is the leaf's commitment: `{"content":{<the 8 content fields>},"salt":"<base64>","v":1}`
 *      (null once the content was erased);
 *    - not covered by the checkpoint yet: `{"leafIndex":null,"event":<the jsonl export's object>}`;
 * 3. `{"proof":["<base64>",…],"ranges":["<base64>",…]}`: the multi-leaf inclusion proof of every sealed
 *    line's leaf, and the hashes of the aligned ranges of {@link BUNDLE_RANGE_LEAVES} leaves that hold one
 *    (in increasing order). The ranges' hashes fold into the signed root with the proof's, so they are proven
 *    too; a leaf altered in its line then fails its range's hash alone, and only that range's events fail.
 *
 * A sealed line is nothing but hashed bytes in a fixed frame, so a verifier checks it by hashing slices of
 * the line, without parsing JSON: bytes that hash to the committed values are the sealer's bytes. The
 * event is read from the line as JSON as usual: identity and times from `leaf`, content from `opening.content`.
 *
 * Earlier versions stay readable, as auditors keep old bundles: version 2 is version 3 with a proof line of
 * `{"proof":[…]}` alone; version 1 is described in bundle-v1.ts.
 */
export const BUNDLE_VERSION = 3;

/** The versions a verifier reads: every one the platform wrote. */
export const READABLE_BUNDLE_VERSIONS: readonly number[] = [1, 2, 3];

/**
 * Leaves per range of the proof line's `ranges` (a power of two): the events a verifier names when one leaf of
 * a range was altered. 16 costs one hash (47 bytes) per 16 events of a dense export, under 1% of its size.
 */
export const BUNDLE_RANGE_LEAVES = 16;

/** Line 1: the version, the organization, and its latest signed checkpoint (null when none was signed yet). */
export function bundleHeaderLine(organizationId: string, checkpoint: string | null, version: number = BUNDLE_VERSION): string {
  return `${JSON.stringify({ bundle: version, organizationId, checkpoint })}\n`;
}

/** A sealed event's line: its leaf index, the leaf's exact bytes (JCS text) and the opening of its commitment. */
export function sealedEventLine(leafIndex: number, leaf: string, opening: string | null): string {
  return `{"leafIndex":${leafIndex},"leaf":${leaf},"opening":${opening ?? 'null'}}\n`;
}

/** An event no checkpoint covered at export time, as the JSON lines export writes it (`eventJson` is that object's text). */
export function pendingEventLine(eventJson: string): string {
  return `{"leafIndex":null,"event":${eventJson}}\n`;
}

const base64Of = (h: Uint8Array): string => Buffer.from(h.buffer, h.byteOffset, h.length).toString('base64');

/**
 * The last line: the multi-leaf inclusion proof of the sealed lines' leaves and the hashes of their ranges
 * (multi-proof.ts rangeHashes); with `ranges` null, the proof line of versions 1 and 2 (for reading tests).
 */
export function proofLine(proof: readonly Uint8Array[], ranges: readonly Uint8Array[] | null): string {
  return `${JSON.stringify(ranges === null ? { proof: proof.map(base64Of) } : { proof: proof.map(base64Of), ranges: ranges.map(base64Of) })}\n`;
}
