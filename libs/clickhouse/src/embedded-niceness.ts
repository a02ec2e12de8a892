import type { Connection } from 'chdb/connection';
import type { Readable } from 'node:stream';
import { raiseThreadPriority } from '@audit/platform';
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

/** How long after a lowered statement its pool threads are looked at a second time. */
const RESTORE_AGAIN_MS = 250;

/**
 * The connection with, after each of its statements (and again {@link RESTORE_AGAIN_MS} later), the idle threads of ClickHouse's global pool brought
 * back to `niceness` (the process's): a thread the pool started during a lowered statement inherited the
 * lowered niceness from the thread that started it, and ClickHouse does not set it back (it resets only
 * the threads it lowered), so the reads it runs later would run lowered too. Looking costs a read of
 * /proc per thread of the process (about a millisecond), once per statement of a lowered connection.
 */
export function restoringSharedThreads(connection: Connection<Readable>, niceness: number): Connection<Readable> {
  const restore = (): number => raiseThreadPriority(niceness, (t) => isIdleEmbeddedClickHousePoolThread(t.name));
  // A pool thread still finishing its part of the statement when the answer arrives goes idle a moment later.
  let again: NodeJS.Timeout | undefined;
  const afterStatement = (): void => {
    restore();
    again ??= setTimeout(() => {
      again = undefined;
      restore();
    }, RESTORE_AGAIN_MS).unref();
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
