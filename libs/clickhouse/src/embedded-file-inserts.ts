import type { Connection } from 'chdb/connection';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';

/** The statement @clickhouse/client sends for an insert: `INSERT INTO <table> [(<columns>)] FORMAT <format>`. */
const INSERT_STATEMENT = /^\s*(INSERT\s+INTO\s+[\s\S]+?)\s+FORMAT\s+([A-Za-z][A-Za-z0-9_]*)\s*$/i;

/** A ClickHouse string literal of `text`. */
export function clickHouseString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The statement that inserts what `file` holds, for an insert statement of @clickhouse/client
 * (`INSERT INTO t (a, b) FORMAT TabSeparated`): `INSERT INTO t (a, b) SELECT * FROM file('<file>', 'TabSeparated')`,
 * the file read with the insertion table's column types. Undefined for any other statement.
 */
export function insertFromFileStatement(insert: string, file: string): string | undefined {
  const match = INSERT_STATEMENT.exec(insert);
  return match ? `${match[1]} SELECT * FROM file(${clickHouseString(file)}, ${clickHouseString(match[2])})` : undefined;
}

/**
 * The connection with its inserts' rows read by ClickHouse from a file instead of following the statement.
 *
 * chdb-node passes an insert's rows inline, after `INSERT … FORMAT x`, and chDB goes over that text on the
 * calling thread (libuv's pool) before the statement starts: about 8 ns a byte, as much CPU as parsing and
 * writing the rows (measured: 50,000 rows of 350 bytes, 0.5 s beside 0.2 s for the statement itself, the
 * same into a Null table). That part runs outside the statement, so os_thread_priority does not lower it,
 * and it ran at the HTTP thread's priority for every batch of the projector. From a file, the statement is a
 * few hundred bytes and the rows are read and parsed by the statement's own threads. Each file lives in
 * `directory` (private to the connection) for the duration of its statement; it is written and removed on
 * the calling thread (see writeRows).
 */
export function insertingThroughFiles(connection: Connection<Readable>, directory: string): Connection<Readable> {
  let next = 0;
  return {
    ping: (params) => connection.ping(params),
    query: (params) => connection.query(params),
    command: (params) => connection.command(params),
    exec: (params) => connection.exec(params),
    insert: async (params) => {
      const file = path.join(directory, `${next++}`);
      const statement = insertFromFileStatement(params.query, file);
      if (statement === undefined) return connection.insert(params);
      try {
        const bytes = await writeRows(file, params.values);
        // chdb-connection answers an empty insert without running it; a file of nothing would fail to parse.
        if (bytes === 0) return await connection.insert({ ...params, values: '' });
        const { query_id, response_headers, http_status_code, summary } = await connection.command({
          query: statement,
          clickhouse_settings: params.clickhouse_settings,
          query_id: params.query_id,
          abort_signal: params.abort_signal,
        });
        return { query_id, response_headers, http_status_code, summary };
      } finally {
        rmSync(file, { force: true });
      }
    },
    close: async () => {
      try {
        await connection.close();
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
  };
}

/**
 * A directory of its own for a connection's insert files, beside the data directory (the same data, at rest,
 * on the same disk), named after this process. The directories of processes that are gone (a crash in the
 * middle of an insert leaves its batch's rows there) are removed first: nothing else would remove them.
 */
export function insertFilesDirectory(dataPath: string): string {
  const parent = path.dirname(dataPath);
  mkdirSync(parent, { recursive: true });
  const prefix = `.${path.basename(dataPath)}-inserts-`;
  for (const name of readdirSync(parent)) {
    const pid = name.startsWith(prefix) ? Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]) : NaN;
    if (Number.isInteger(pid) && !processIsAlive(pid)) rmSync(path.join(parent, name), { recursive: true, force: true });
  }
  return mkdtempSync(path.join(parent, `${prefix}${process.pid}-`));
}

/** Whether a process of this id exists (EPERM: it does, under another user). */
function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Writes the rows in one call, on the calling thread: @clickhouse/client streams JSON rows one line at a
 * time, and fs's promises run on libuv's pool, at the reads' priority (a batch's file took as much of it to
 * write and to remove as the statement took to parse; measured 0.13 s for 45 MB). On the caller, the
 * standalone's consumers thread, it runs at that thread's priority, for a few milliseconds per batch.
 * chdb-connection held the whole body in memory too, as one string.
 */
async function writeRows(file: string, values: string | Readable): Promise<number> {
  let body: Buffer;
  if (typeof values === 'string') body = Buffer.from(values);
  else {
    const chunks: Buffer[] = [];
    for await (const chunk of values as AsyncIterable<string | Uint8Array>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  }
  if (body.byteLength > 0) writeFileSync(file, body, { flag: 'wx', mode: 0o600 });
  return body.byteLength;
}
