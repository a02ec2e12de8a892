import type { Connection } from 'chdb/connection';
import type { Readable } from 'node:stream';
import { holdExitWhile } from '@audit/platform';

const STATEMENT = 'embedded ClickHouse statement';

/**
 * The chDB connection with every statement it runs registered with the platform's exit guard: chDB runs a
 * statement on a thread inside the process, and `process.exit` during one crashes the process (SIGSEGV), so
 * exitWhenSafe waits for it. A statement settles when chDB's thread is done with it (no abort signal is
 * passed to chDB anywhere: one would settle the call early while the statement ran on).
 */
export function holdingExitDuringStatements(connection: Connection<Readable>): Connection<Readable> {
  return {
    ping: (params) => holdExitWhile(connection.ping(params), STATEMENT),
    query: (params) => holdExitWhile(connection.query(params), STATEMENT),
    insert: (params) => holdExitWhile(connection.insert(params), STATEMENT),
    command: (params) => holdExitWhile(connection.command(params), STATEMENT),
    exec: (params) => holdExitWhile(connection.exec(params), STATEMENT),
    close: () => connection.close(),
  };
}
