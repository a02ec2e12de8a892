import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BundleVerifier, type LogVerificationReport, type NoteVerifier } from '@audit/transparency';

/**
 * The lines of a UTF-8 stream, without their "\n" (and a "\r" before it). Splits the byte chunks
 * itself: readline's per-line events cost more than verifying a line of a bundle does.
 */
export async function* linesOf(input: Readable): AsyncGenerator<string> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of input as AsyncIterable<Buffer>) {
    // A line split across chunks is joined once; the rest of the chunk is decoded in place.
    const bytes = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
    let start = 0;
    for (let end = bytes.indexOf(10, start); end !== -1; end = bytes.indexOf(10, start)) {
      yield bytes.toString('utf8', start, end > start && bytes[end - 1] === 13 ? end - 1 : end);
      start = end + 1;
    }
    rest = bytes.subarray(start);
  }
  if (rest.length > 0) yield rest.toString('utf8', 0, rest[rest.length - 1] === 13 ? rest.length - 1 : rest.length);
}

/** The file's bytes as read (gunzipped when it starts with gzip's magic bytes), and how far into the file the reading is. */
export async function openBundle(file: string): Promise<{ input: Readable; bytesRead: () => number }> {
  const handle = await open(file);
  const head = Buffer.alloc(2);
  try {
    await handle.read(head, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const gzipped = head[0] === 0x1f && head[1] === 0x8b;
  return { input: gzipped ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw, bytesRead: () => raw.bytesRead };
}

/**
 * Verifies a bundle file (gzip'd or not) with a {@link BundleVerifier}, line by line. A corrupt gzip
 * stream never throws: what was read so far is judged, and the bundle fails as cut short.
 * `progress` hears the bytes of the file read so far.
 */
export async function verifyBundleFile(file: string, keys: readonly NoteVerifier[], progress?: (bytesRead: number) => void): Promise<LogVerificationReport> {
  const verifier = new BundleVerifier(keys);
  const { input, bytesRead } = await openBundle(file);
  try {
    for await (const line of linesOf(input)) {
      verifier.addLine(line);
      progress?.(bytesRead());
    }
  } catch (error) {
    verifier.addLine(JSON.stringify({ unreadable: (error as Error).message }));
  }
  return verifier.finish();
}
