import { open, type FileHandle } from 'node:fs/promises';
import { UsageError } from './output';

const MIB = 2 ** 20;

/** What a path that names a directory is told. */
export const NOT_A_FILE = 'a directory, not a file';

/**
 * The text of a small file an option names (a streams file, a saved checkpoint), read up to `maxBytes`. A
 * larger one, or a device that never ends (`-f /dev/zero` grew to 17 GB and crashed), is refused naming the
 * option before it fills the memory; so is a path that cannot be read, with why.
 */
export async function readOptionFile(option: string, file: string, maxBytes: number): Promise<string> {
  const refuse = (why: string): UsageError => new UsageError(`${option} ${file}: ${why}`);
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw refuse(whyUnreadable(error as NodeJS.ErrnoException));
  }
  try {
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) throw refuse(`larger than ${maxBytes % MIB === 0 ? `${maxBytes / MIB} MiB` : `${maxBytes} bytes`}, more than such a file holds`);
    }
    return buffer.toString('utf8', 0, length);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw refuse(whyUnreadable(error as NodeJS.ErrnoException));
  } finally {
    await handle.close();
  }
}

/** Why a path cannot be read, as a person says it. */
export function whyUnreadable(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOENT') return 'no such file';
  if (error.code === 'EISDIR') return NOT_A_FILE;
  if (error.code === 'EACCES') return 'not readable (permission denied)';
  return error.message;
}
