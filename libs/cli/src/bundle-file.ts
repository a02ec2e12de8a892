import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { BundleVerifier, type LogVerificationReport, type NoteVerifier } from '@audit/transparency';

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
 * Verifies a bundle file (gzip'd or not) with a {@link BundleVerifier}, chunk by chunk (it splits the
 * lines itself). A corrupt gzip stream never throws: what was read so far is judged, and the bundle
 * fails as cut short. `progress` hears the bytes of the file read so far.
 */
export async function verifyBundleFile(file: string, keys: readonly NoteVerifier[], progress?: (bytesRead: number) => void): Promise<LogVerificationReport> {
  const verifier = new BundleVerifier(keys);
  const { input, bytesRead } = await openBundle(file);
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      verifier.write(chunk);
      progress?.(bytesRead());
    }
  } catch (error) {
    // Without a newline: the line cut by the error (if any) fails with it, and the bundle as cut short.
    verifier.write(Buffer.from(JSON.stringify({ unreadable: (error as Error).message })));
  }
  return verifier.finish();
}
