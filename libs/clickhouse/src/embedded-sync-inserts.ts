import type { Session } from 'chdb';
import { holdExitWhile } from '@audit/platform';
import { DRAIN_STATEMENT } from './clickhouse.client';

const STATEMENT = 'embedded ClickHouse statement';

/**
 * Inserts into embedded chDB run synchronously, on the calling thread, through a session of its own on the
 * same data directory (chDB allows several per path in one process; they share the engine and its tables).
 *
 * Why: the async API runs a statement on libuv's process-wide thread pool and ClickHouse's statement pools,
 * whose threads run at the main thread's priority and serve the reads too; the standalone's consumers thread
 * is niced (consumers-thread.ts), and a statement run here, with `max_threads=1, max_insert_threads=1`, keeps
 * its CPU on that thread, below the HTTP thread. The caller's event loop blocks for the insert: the
 * projector's own turn already waits for it, and the writer beside it tolerates the pause (see the ack waits
 * in docs/scaling.md).
 *
 * Every statement is registered with the exit guard for its duration (process.exit from another thread
 * during a chDB statement crashes the process), and a failed one is followed by the drain statement, as on
 * the async connection, so no later statement's answer carries its partial output.
 */
export class EmbeddedSyncInserts {
  private session?: Session;

  constructor(
    private readonly path: string,
    private readonly database: string,
  ) {}

  /**
   * Runs `INSERT INTO <table> (<columns>) SETTINGS … FORMAT <format>` with `body` as its data. Settings are
   * names and values the caller controls, never user input.
   */
  insert(table: string, columns: readonly string[], format: string, body: Buffer, settings: Record<string, string | number>): void {
    const session = this.open();
    const clauses = Object.entries({ ...settings, max_threads: 1, max_insert_threads: 1 }).map(([name, value]) => `${name} = ${typeof value === 'number' ? value : `'${value}'`}`);
    const statement = `INSERT INTO ${table} (${columns.map((c) => `\`${c}\``).join(', ')}) SETTINGS ${clauses.join(', ')} FORMAT ${format}\n${body.toString('utf8')}`;
    let done!: () => void;
    void holdExitWhile(new Promise<void>((resolve) => (done = resolve)), STATEMENT);
    try {
      session.query(statement, 'CSV');
    } catch (error) {
      try {
        session.query(DRAIN_STATEMENT, 'CSV');
      } catch {
        // The insert's own error is the one to report.
      }
      throw error;
    } finally {
      done();
    }
  }

  close(): void {
    this.session?.close();
    this.session = undefined;
  }

  private open(): Session {
    if (this.session) return this.session;
    // Loaded here, not at import: only embedded mode needs the addon, and only the thread that inserts.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Session: SessionCtor } = require('chdb') as typeof import('chdb');
    const session = new SessionCtor(this.path);
    try {
      session.query(`USE ${this.database}`, 'CSV');
    } catch (error) {
      session.close();
      throw error;
    }
    this.session = session;
    return session;
  }
}
