import { readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';

/** CPU seconds (user + system) consumed so far by the processes whose command line matches. */
export function cpuSecondsOf(pattern: RegExp): number {
  const ticks = Number(execSync('getconf CLK_TCK').toString().trim());
  let total = 0;
  for (const pid of execSync('ls /proc').toString().split('\n').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!pattern.test(cmd)) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / ticks;
    } catch {
      // The process ended between listing and reading.
    }
  }
  return total;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
