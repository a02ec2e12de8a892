/**
 * `cleanup` made safe to call twice and run on Ctrl-C or a timeout's SIGTERM too (then the process exits
 * 130): a benchmark interrupted halfway still drops its database and removes its directories.
 */
export function cleanupOnExit(cleanup: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  const once = (): Promise<void> => (running ??= cleanup());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void once().finally(() => process.exit(130)));
  return once;
}
