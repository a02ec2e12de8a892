/**
 * A verifiable export (format `bundle`, version 2): JSON lines, each ending in "\n", written by these
 * functions only (the exporter, the benches and the tests all call them), read by {@link BundleVerifier}.
 *
 * 1. `{"bundle":2,"organizationId":"<org>","checkpoint":"<signed note>"|null}`
 * 2. one line per event, newest first:
 *    - sealed: `{"leafIndex":<n>,"leaf":<leaf>,"opening":<opening>|null}`, where `<leaf>` is the exact leaf
 *      bytes the log holds (the JCS object whose RFC 9162 leaf hash is in the tree) and `<opening>` the
 *      exact text whose SHA-256 is the leaf's commitment: `{"content":{<the 8 content fields>},"salt":"<base64>","v":1}`
 *      (null once the content was erased);
 *    - not covered by the checkpoint yet: `{"leafIndex":null,"event":<the jsonl export's object>}`;
 * 3. `{"proof":["<base64>",…]}`, the multi-leaf inclusion proof of every sealed line's leaf.
 *
 * A sealed line is nothing but hashed bytes in a fixed frame, so a verifier checks it by hashing slices of
 * the line, without parsing JSON: bytes that hash to the committed values are the sealer's bytes. The
 * event is read from the line as JSON as usual: identity and times from `leaf`, content from `opening.content`.
 */
export const BUNDLE_VERSION = 2;

/** Line 1: the version, the organization, and its latest signed checkpoint (null when none was signed yet). */
export function bundleHeaderLine(organizationId: string, checkpoint: string | null): string {
  return `${JSON.stringify({ bundle: BUNDLE_VERSION, organizationId, checkpoint })}\n`;
}

/** A sealed event's line: its leaf index, the leaf's exact bytes (JCS text) and the opening of its commitment. */
export function sealedEventLine(leafIndex: number, leaf: string, opening: string | null): string {
  return `{"leafIndex":${leafIndex},"leaf":${leaf},"opening":${opening ?? 'null'}}\n`;
}

/** An event no checkpoint covered at export time, as the JSON lines export writes it (`eventJson` is that object's text). */
export function pendingEventLine(eventJson: string): string {
  return `{"leafIndex":null,"event":${eventJson}}\n`;
}

/** The last line: the multi-leaf inclusion proof of the sealed lines' leaves. */
export function proofLine(proof: readonly Uint8Array[]): string {
  return `${JSON.stringify({ proof: proof.map((h) => Buffer.from(h.buffer, h.byteOffset, h.length).toString('base64')) })}\n`;
}
