import { readdirSync, readFileSync } from 'node:fs';
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

/** CPU seconds (user + system) consumed so far by each process whose command line matches, by pid. */
export function cpuSecondsByPid(pattern: RegExp): Map<number, number> {
  const result = new Map<number, number>();
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (pattern.test(cmd)) result.set(Number(pid), cpuSecondsOfPid(Number(pid)));
    } catch {
      // The process ended between listing and reading.
    }
  }
  return result;
}

/**
 * Follows the processes whose command line matches, reading each one's CPU seconds every `everyMs`: a
 * snapshot holds every process seen so far, and one that exited keeps its last reading. Postgres backends
 * come and go (pg's pool closes a connection idle for 10 s): read only at a phase's end, the work of those
 * that ended meanwhile was lost, and a phase whose writer idled while the projector caught up counted 0.
 */
export function followCpuByPid(pattern: RegExp, everyMs = 500): { snapshot: () => Map<number, number>; stop: () => void } {
  const seen = new Map<number, number>();
  const read = (): void => {
    for (const [pid, seconds] of cpuSecondsByPid(pattern)) seen.set(pid, seconds);
  };
  return sampling(read, everyMs, () => new Map(seen));
}

/** Runs `read` now and every `everyMs`; a snapshot reads once more first, so it ends at the moment asked. */
function sampling<T>(read: () => void, everyMs: number, current: () => T): { snapshot: () => T; stop: () => void } {
  read();
  const timer = setInterval(read, everyMs);
  timer.unref();
  return {
    snapshot: () => {
      read();
      return current();
    },
    stop: () => clearInterval(timer),
  };
}

/**
 * CPU seconds spent between two {@link cpuSecondsByPid} snapshots by the processes alive at the second: a
 * process that ended meanwhile is left out (its time is gone from /proc), never counted negative.
 */
export function secondsBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** CPU seconds (user + system) one process has consumed so far; 0 once it is gone. */
export function cpuSecondsOfPid(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return 0;
  }
}

/**
 * CPU seconds one process has consumed so far by kind of thread: `main`, its JavaScript thread (with the
 * garbage collector's pauses); `helpers`, the threads Node leaves named "node" (V8's garbage-collector and
 * compiler workers and libuv's pool, which also runs chDB's asynchronous calls); `named`, threads that
 * name themselves (in the apps: the embedded ClickHouse's ThreadPool, MergeMutate, …). Threads that
 * already ended are not counted.
 */
export function cpuSecondsByThread(pid: number): Record<'main' | 'helpers' | 'named', number> {
  const result = { main: 0, helpers: 0, named: 0 };
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return result;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const seconds = (Number(fields[11]) + Number(fields[12])) / clockTicks();
      result[tid === String(pid) ? 'main' : comm === 'node' ? 'helpers' : 'named'] += seconds;
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return result;
}

/**
 * CPU seconds one process has consumed so far, by scheduling priority against its main thread's: `main`;
 * `samePriority`, its other threads at the main thread's niceness or better, which the kernel runs on a par
 * with it (V8's garbage-collector and compiler workers, libuv's pool, the embedded ClickHouse's pools);
 * `lowered`, threads at a higher niceness (the standalone's consumers thread), which give way to it.
 */
export function cpuSecondsByPriority(pid: number): Record<'main' | 'samePriority' | 'lowered', number> {
  const result = { main: 0, samePriority: 0, lowered: 0 };
  const threads: Array<{ tid: string; nice: number; seconds: number }> = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        threads.push({ tid, nice: Number(fields[16]), seconds: (Number(fields[11]) + Number(fields[12])) / clockTicks() });
      } catch {
        // The thread ended between listing and reading.
      }
    }
  } catch {
    return result;
  }
  const mainNice = threads.find((t) => t.tid === String(pid))?.nice ?? 0;
  for (const t of threads) result[t.tid === String(pid) ? 'main' : t.nice <= mainNice ? 'samePriority' : 'lowered'] += t.seconds;
  return result;
}

/**
 * Follows one process's threads every `everyMs` and adds each thread's CPU since the last look to the
 * priority it runs at now, against its main thread's (as {@link cpuSecondsByPriority}). Embedded
 * ClickHouse moves its shared threads between priorities statement by statement (os_thread_priority):
 * read once at each end of a phase, a thread's whole CPU would count at whatever priority it had then, and
 * the lowered share of a phase could come out negative. CPU from /proc/<pid>/task/<tid>/schedstat
 * (nanoseconds; stat's ticks are 10 ms, longer than many statements).
 */
export function followCpuByPriority(pid: number, everyMs = 100): { snapshot: () => Record<'main' | 'samePriority' | 'lowered', number>; stop: () => void } {
  const last = new Map<string, number>();
  const totals = { main: 0, samePriority: 0, lowered: 0 };
  const read = (): void => {
    const seen = threadsOf(pid);
    const mainNice = seen.find((t) => t.tid === String(pid))?.nice ?? 0;
    for (const t of seen) {
      // A thread first seen now counts from here: its earlier CPU is not known to belong to this phase.
      const delta = t.seconds - (last.get(t.tid) ?? t.seconds);
      last.set(t.tid, t.seconds);
      totals[t.tid === String(pid) ? 'main' : t.nice <= mainNice ? 'samePriority' : 'lowered'] += delta;
    }
  };
  return sampling(read, everyMs, () => ({ ...totals }));
}

/**
 * Follows one process's threads every `everyMs` and adds each thread's CPU since the last look to the name
 * it has now: `main` (its JavaScript thread), `consumers` (a Node thread at a positive niceness: the
 * standalone's consumers thread), `helpers` (the other threads Node leaves named "node": V8's workers,
 * libuv's pool), else the thread's own name without its trailing digits (embedded ClickHouse's
 * `ThreadPool`, `MergeMutate`, `BgSchPool`, …; its pool threads rename themselves for each job, hence a
 * look every `everyMs`). A thread that ends keeps its time up to its last look. CPU from schedstat
 * (nanoseconds). Take the figures of a phase as {@link namedThreadsBetween} two snapshots.
 */
export function followCpuByThreadName(pid: number, everyMs = 100): { snapshot: () => Map<string, number>; stop: () => void } {
  const last = new Map<string, number>();
  const totals = new Map<string, number>();
  const read = (): void => {
    for (const { tid, comm, nice, seconds } of threadsOf(pid)) {
      const name = tid === String(pid) ? 'main' : comm === 'node' ? (nice > 0 ? 'consumers' : 'helpers') : comm.replace(/[\d_.-]+$/, '');
      totals.set(name, (totals.get(name) ?? 0) + seconds - (last.get(tid) ?? 0));
      last.set(tid, seconds);
    }
  };
  return sampling(read, everyMs, () => new Map(totals));
}

/** CPU seconds by thread name between two {@link followCpuByThreadName} snapshots, largest first. */
export function namedThreadsBetween(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...after].map(([name, seconds]): [string, number] => [name, seconds - (before.get(name) ?? 0)]).sort((a, b) => b[1] - a[1]));
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  return (ticksPerSecond ??= Number(execSync('getconf CLK_TCK').toString().trim()));
}

/** CPU seconds the whole machine has spent busy so far, all cores together (/proc/stat). */
export function machineBusySeconds(): number {
  return machineTicks().busy / clockTicks();
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

/** One process's threads as /proc shows them now: name, niceness and CPU seconds (schedstat, nanoseconds). */
function threadsOf(pid: number): Array<{ tid: string; comm: string; nice: number; seconds: number }> {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const threads: Array<{ tid: string; comm: string; nice: number; seconds: number }> = [];
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      threads.push({
        tid,
        comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
        nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]),
        seconds: Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9,
      });
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return threads;
}
