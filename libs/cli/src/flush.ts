import { EXIT_GRACE_MS, exitWhenSafe } from '@audit/platform';

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

/**
 * A reader that leaves early (`cli ... | head`) is not a failure of the
 * command: the rest of the output is dropped quietly, as Unix tools do,
 * instead of an unhandled EPIPE crashing the process with a stack trace.
 * Any other stdout or stderr error still throws.
 */
export function ignoreBrokenPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}

/** Says on stderr, as plain text, what exitWhenSafe logs (a person reads the CLI's stderr). */
const plainStderr = {
  warn: (entry: { msg: string }) => void process.stderr.write(`${entry.msg}\n`),
  error: (entry: { msg: string }) => void process.stderr.write(`${entry.msg}\n`),
};

/**
 * Exits with `code` after stdout and stderr have been flushed, so piped output is never cut, and never
 * under a running embedded ClickHouse statement (exiting under one crashes the process; see exitWhenSafe).
 */
export async function exitWhenFlushed(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  return exitWhenSafe(code, EXIT_GRACE_MS, plainStderr);
}
