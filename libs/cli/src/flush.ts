/**
 * Resolves once everything written to `stream` so far has left the process,
 * or the stream failed (e.g. EPIPE: the reader went away, so nothing more can
 * be delivered). Writes complete in order, so the callback of an empty write
 * runs after every earlier chunk.
 *
 * Needed because stdout on a pipe is asynchronous: `process.exit` right after
 * a large write drops whatever the pipe (64 KiB on Linux) did not take yet,
 * and the reader sees a cut output with exit code 0.
 */
export function flushed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.write('', () => resolve());
  });
}

/** Exits with `code` after stdout and stderr have been flushed, so piped output is never cut. */
export async function exitWhenFlushed(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
