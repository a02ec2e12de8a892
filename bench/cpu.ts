import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
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

/** Busy and total CPU ticks of the whole machine so far (/proc/stat). */
function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * Waits until the whole machine has been quiet (under `busyShare` of its CPUs busy) for `seconds` in a
 * row, at most `maxSeconds`: after a load, Postgres (autovacuum, the checkpointer) and ClickHouse
 * (merges) keep working for a while, and timings taken meanwhile measure them too. Returns the seconds
 * waited and whether it got quiet.
 */
export async function waitForQuietMachine(busyShare = 0.15, seconds = 3, maxSeconds = 300): Promise<{ waited: number; quiet: boolean }> {
  const started = performance.now();
  let streak = 0;
  let last = machineTicks();
  while (streak < seconds && performance.now() - started < maxSeconds * 1000) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const now = machineTicks();
    const share = (now.busy - last.busy) / Math.max(1, now.total - last.total);
    streak = share < busyShare ? streak + 1 : 0;
    last = now;
  }
  return { waited: (performance.now() - started) / 1000, quiet: streak >= seconds };
}

/**
 * Watches the whole machine while a bench runs: on a shared machine other work takes CPU from the
 * platform, and figures taken meanwhile must say so. `stop` returns the note a bench prints and records.
 */
export function watchMachineLoad(): { stop: () => { busyShare: number; note: string } } {
  const first = machineTicks();
  const load = [loadavg()[0]];
  const timer = setInterval(() => load.push(loadavg()[0]), 5_000);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      load.push(loadavg()[0]);
      const last = machineTicks();
      const busyShare = (last.busy - first.busy) / Math.max(1, last.total - first.total);
      const note =
        `machine load while it ran: ${(busyShare * 100).toFixed(0)}% of ${cpus().length} cores busy on average (every process, the bench's own included); ` +
        `1-minute load average ${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)}`;
      return { busyShare, note };
    },
  };
}
