import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The process that holds an embedded ClickHouse data directory, if one does. chDB (like a ClickHouse
 * server) writes `PID: <n>` into `<path>/status` and locks the file while it runs; opening the directory
 * a second time fails inside chDB, which prints its own `DB::Exception ... Cannot lock file` on stderr
 * before any error reaches us. Reading the PID first lets the caller refuse with a plain message instead.
 * A file left by a process that died names a PID that no longer runs, and does not count.
 */
export function embeddedClickHouseHolder(dataPath: string): number | undefined {
  let status: string;
  try {
    status = readFileSync(path.join(dataPath, 'status'), 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(/^PID:\s*(\d+)/m.exec(status)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (error) {
    // EPERM: the process runs under another user, and still holds the lock.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}
