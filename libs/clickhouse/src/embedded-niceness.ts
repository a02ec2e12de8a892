import type { Connection } from 'chdb/connection';
import type { Readable } from 'node:stream';
import { READS_THREAD_NICENESS, SharedThreadRestorer } from '@audit/platform';
import { isIdleEmbeddedClickHousePoolThread } from './embedded-threads';

/**
 * The niceness at which embedded ClickHouse (chDB) runs the statements of a connection.
 *
 * chDB runs a statement on threads the whole process shares: libuv's pool calls into it, and ClickHouse's
 * global thread pool parses, sorts and writes the rows. Lowering those threads for good would lower the
 * reads that the HTTP thread sends through the same pools, so the priority goes with the statement:
 * ClickHouse's `os_thread_priority`, set on the connection's session, renices each pool thread while it
 * works for one of that connection's statements and sets it back to 0 when it is done. Needs CAP_SYS_NICE
 * (setting a thread back to 0 raises it); without it ClickHouse ignores the setting.
 *
 * `configured` is CLICKHOUSE_EMBEDDED_NICENESS. Unset, the opening thread's own niceness when it runs
 * below a main thread at 0 (the standalone's consumers thread: its projector's inserts then give way to
 * the HTTP thread as its JavaScript does), else 0: in a process started whole under `nice`, the setting's
 * reset to 0 would raise the shared threads above the process's own priority.
 */
export function embeddedStatementNiceness(configured: number | undefined, niceness: { thread: number; process: number }): number {
  if (configured !== undefined) return configured;
  return niceness.process === 0 && niceness.thread > 0 ? Math.min(19, niceness.thread) : 0;
}

/**
 * The niceness at which embedded ClickHouse runs the statements of the connection that answers
 * administrators' reads (analytics, the events pages' counts): the HTTP thread's, {@link READS_THREAD_NICENESS},
 * where the process may raise threads (CAP_SYS_NICE, `mayRaise`). The HTTP thread runs raised, yet the
 * statement it waits for ran on the shared pools at the process's priority, beside the projector's inserts,
 * nats-server and the load, and the summary's p95 grew threefold at half the maximum ingest (issue 18).
 * Without CAP_SYS_NICE, 0: ClickHouse would ignore a negative os_thread_priority anyway.
 */
export function readStatementNiceness(mayRaise: boolean): number {
  return mayRaise ? READS_THREAD_NICENESS : 0;
}

/**
 * When, after a moved statement, its pool threads are looked at again (ms after the statement). A thread
 * still busy with its part when the answer arrives goes idle a moment later, or, on a starved machine, a
 * while later: with a single pass at 250 ms, a pool thread that a CPU hog kept busy past it stayed lowered
 * until that connection's next statement (the niceness spec under two hogs).
 */
const RESTORE_AGAIN_MS = [250, 1_000, 4_000];

/**
 * The connection with, after each of its statements (and again at each of {@link RESTORE_AGAIN_MS}), the idle
 * threads of ClickHouse's global pool brought back to `niceness` (the process's), from either side: a thread
 * the pool started during a lowered or raised statement inherited that niceness from the thread that started
 * it, and ClickHouse does not set it back (it resets only the threads it moved itself), so the statements it
 * runs later would run lowered (the reads) or raised (the projector's inserts) too. Looking costs a listing
 * of /proc/self/task and a read per thread not yet seen at `niceness` (SharedThreadRestorer), once per
 * statement of a moved connection and three times more within 4 s of the last.
 */
export function restoringSharedThreads(connection: Connection<Readable>, niceness: number): Connection<Readable> {
  const restorer = new SharedThreadRestorer(niceness, (t) => isIdleEmbeddedClickHousePoolThread(t.name));
  const restore = (): number => restorer.restore();
  // Each statement starts the passes over; one schedule at a time, whatever the number of statements.
  let again: NodeJS.Timeout | undefined;
  const passFrom = (step: number, previousMs: number): void => {
    const atMs = RESTORE_AGAIN_MS[step];
    again = setTimeout(() => {
      again = undefined;
      restore();
      if (step + 1 < RESTORE_AGAIN_MS.length) passFrom(step + 1, atMs);
    }, atMs - previousMs).unref();
  };
  const afterStatement = (): void => {
    restore();
    clearTimeout(again);
    passFrom(0, 0);
  };
  const restoring =
    <P, R>(call: (params: P) => Promise<R>) =>
    (params: P): Promise<R> =>
      call(params).finally(afterStatement);
  return {
    ping: restoring((params) => connection.ping(params)),
    query: restoring((params) => connection.query(params)),
    insert: restoring((params) => connection.insert(params)),
    command: restoring((params) => connection.command(params)),
    exec: restoring((params) => connection.exec(params)),
    close: () => {
      clearTimeout(again);
      return connection.close();
    },
  };
}
