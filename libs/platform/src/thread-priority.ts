import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';

/** One thread of this process as /proc shows it. */
export interface ThreadInfo {
  tid: number;
  /** The name the thread gave itself (`comm`, at most 15 characters): "node" unless it renamed itself. */
  name: string;
  niceness: number;
}

/**
 * The threads to move to `niceness`: those `isBackground` picks, never the main thread (`mainTid`), and
 * only those running at a better priority than that (a thread is never raised, nor set twice).
 */
export function threadsToLower(threads: readonly ThreadInfo[], mainTid: number, niceness: number, isBackground: (thread: ThreadInfo) => boolean): ThreadInfo[] {
  return threads.filter((t) => t.tid !== mainTid && t.niceness < niceness && isBackground(t));
}

/**
 * The threads to bring back up to `niceness`: those `isShared` picks, never the main thread (`mainTid`),
 * and only those running at a worse priority than that (a thread is never lowered by it).
 */
export function threadsToRaise(threads: readonly ThreadInfo[], mainTid: number, niceness: number, isShared: (thread: ThreadInfo) => boolean): ThreadInfo[] {
  return threads.filter((t) => t.tid !== mainTid && t.niceness > niceness && isShared(t));
}

/**
 * Brings this process's threads that `isShared` picks back to `niceness` (needs CAP_SYS_NICE, see
 * {@link mayRaiseThreadPriority}). Returns how many were raised; a thread that cannot be changed is skipped.
 */
export function raiseThreadPriority(niceness: number, isShared: (thread: ThreadInfo) => boolean): number {
  let raised = 0;
  for (const thread of threadsToRaise(threadsOfThisProcess(), process.pid, niceness, isShared)) {
    try {
      setPriority(thread.tid, niceness);
      raised++;
    } catch {
      // Ended meanwhile, or not permitted here: it keeps its priority.
    }
  }
  return raised;
}

/**
 * Puts this process's threads that `isShared` picks back at `niceness` from either side: raised where a
 * lowered statement left them (needs CAP_SYS_NICE), lowered where a raised one did (which anyone may).
 *
 * Only a thread started during a moved statement is left moved (it inherited the niceness of the thread
 * that started it; ClickHouse resets the threads it moved itself), so a thread once seen at `niceness` is
 * not read again: after the first pass each pass lists the thread ids and reads the new ones and those
 * still away from `niceness` (a dozen where the process has a hundred and more; reading every one cost
 * 1-5 ms of the calling thread, the HTTP thread's for the reads, after each statement).
 */
export class SharedThreadRestorer {
  /** Threads seen at the niceness: never to be moved again (forgotten when they end, as their ids are reused). */
  private readonly settled = new Set<number>();

  constructor(
    private readonly niceness: number,
    private readonly isShared: (thread: ThreadInfo) => boolean,
  ) {}

  /** One pass; returns how many threads it moved. */
  restore(): number {
    let tids: number[];
    try {
      tids = readdirSync('/proc/self/task').map(Number);
    } catch {
      return 0;
    }
    const live = new Set(tids);
    for (const tid of this.settled) if (!live.has(tid)) this.settled.delete(tid);
    let moved = 0;
    for (const tid of tids) {
      if (tid === process.pid || this.settled.has(tid)) continue;
      const thread = threadOfThisProcess(tid);
      if (thread === undefined) continue;
      if (thread.niceness === this.niceness) {
        this.settled.add(tid);
        continue;
      }
      // Busy with a statement (which ClickHouse resets itself), or not a shared thread: looked at again next pass.
      if (!this.isShared(thread)) continue;
      try {
        setPriority(tid, this.niceness);
        this.settled.add(tid);
        moved++;
      } catch {
        // Ended meanwhile, or not permitted here: it keeps its priority.
      }
    }
    return moved;
  }
}

/** One thread of this process as /proc shows it; undefined once it ended. */
function threadOfThisProcess(tid: number): ThreadInfo | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return { tid, name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), niceness: nicenessOfStat(stat) };
  } catch {
    return undefined;
  }
}

/** The threads of this process (Linux /proc/self/task); none elsewhere. */
export function threadsOfThisProcess(): ThreadInfo[] {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return [];
  }
  const threads: ThreadInfo[] = [];
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      threads.push({ tid: Number(tid), name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), niceness: Number(fields[16]) });
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return threads;
}

/**
 * Lowers the scheduling priority of this process's background threads that `isBackground` picks (Linux:
 * setpriority() on a thread id applies to that thread alone; the threads it starts later inherit it).
 * Returns how many were lowered; a thread that cannot be changed (it ended, or another system) is skipped.
 */
export function lowerThreadPriority(niceness: number, isBackground: (thread: ThreadInfo) => boolean): number {
  let lowered = 0;
  for (const thread of threadsToLower(threadsOfThisProcess(), process.pid, niceness, isBackground)) {
    try {
      setPriority(thread.tid, niceness);
      lowered++;
    } catch {
      // Ended meanwhile, or not permitted here: it keeps its priority.
    }
  }
  return lowered;
}

/**
 * Sets the niceness of this process's main thread (the one whose id is the process id; Linux schedules
 * threads one by one, so setpriority() on that id moves it alone, and the threads it starts afterwards
 * inherit it). A niceness below 0 raises it over the process's other threads, which needs CAP_SYS_NICE
 * ({@link mayRaiseThreadPriority}). Returns undefined once set, else why it was not (not permitted, another
 * system): the thread then keeps its priority.
 */
export function setMainThreadNiceness(niceness: number): string | undefined {
  try {
    setPriority(process.pid, niceness);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * The niceness a process that answers administrators' reads (the standalone, the query service) gives its
 * HTTP thread once it listens: on a machine shared with ingest (the standalone's own consumers and embedded
 * ClickHouse; split services side by side on one host) that thread's work is light, yet it waited for a core
 * behind ingest's threads at its priority and answered late (docs/scaling.md).
 */
export const READS_THREAD_NICENESS = -10;

/**
 * Raises this process's main thread to {@link READS_THREAD_NICENESS}, after listening: the threads started
 * before keep their priority, those started afterwards inherit it. Without CAP_SYS_NICE the thread stays at
 * the process's priority and `warn` says so.
 */
export function raiseReadsThread(warn: (entry: Record<string, unknown>) => void): void {
  const refused = setMainThreadNiceness(READS_THREAD_NICENESS);
  if (refused !== undefined) warn({ msg: 'cannot raise the HTTP thread priority; it stays at the process priority', niceness: READS_THREAD_NICENESS, error: refused });
}

/** The niceness field of a /proc `stat` line (the 19th field; the command name before it may hold spaces). */
export function nicenessOfStat(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/**
 * The scheduling niceness of the calling thread and of the process's main thread (Linux; both 0 elsewhere,
 * or where /proc cannot be read). A worker thread lowered with setpriority() on its own id differs from
 * the main thread; `nice -n` on the whole process moves both.
 */
export function threadNiceness(): { thread: number; process: number } {
  try {
    return { thread: nicenessOfStat(readFileSync('/proc/thread-self/stat', 'utf8')), process: nicenessOfStat(readFileSync('/proc/self/stat', 'utf8')) };
  } catch {
    return { thread: 0, process: 0 };
  }
}

/** CAP_SYS_NICE's bit in the capability sets of /proc/<pid>/status. */
const CAP_SYS_NICE = 23n;

/** Whether a `CapEff:` line of /proc/<pid>/status (hexadecimal) holds CAP_SYS_NICE. */
export function hasSysNice(status: string): boolean {
  const match = /^CapEff:\s*([0-9a-fA-F]+)$/m.exec(status);
  return match !== null && ((BigInt(`0x${match[1]}`) >> CAP_SYS_NICE) & 1n) === 1n;
}

/**
 * Whether this process may raise a thread's priority back after lowering it (CAP_SYS_NICE, which root has
 * unless a container dropped it): without it a lowered thread stays lowered, so whoever lowers a thread
 * that others share must not (embedded ClickHouse's per-statement niceness is then a no-op).
 */
export function mayRaiseThreadPriority(): boolean {
  try {
    return hasSysNice(readFileSync('/proc/self/status', 'utf8'));
  } catch {
    return false;
  }
}
