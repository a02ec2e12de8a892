const began = performance.now();

/** A progress line on stderr, stamped with the time since the benchmark started (stdout keeps the figures). */
export function progress(msg: string): void {
  const s = Math.round((performance.now() - began) / 1000);
  process.stderr.write(`[${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${msg}\n`);
}
