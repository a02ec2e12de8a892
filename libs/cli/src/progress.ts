/** `[#########.....]  60%`: how far a long command is, drawn on stderr with `\r` so it stays one line. */
export function progressBar(done: number, total: number, width = 30): string {
  const ratio = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(ratio * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}%`;
}

/** Units per second since `started` (epoch ms), as a whole number. */
export function ratePerSecond(done: number, started: number, now = Date.now()): string {
  return (done / Math.max(0.001, (now - started) / 1000)).toFixed(0);
}
