import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { embeddedClickHouseHolder } from './embedded-lock';

describe('embeddedClickHouseHolder', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'audit-ch-lock-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  // What chDB writes into <path>/status while it holds the directory.
  const status = (pid: number) => writeFileSync(path.join(dir, 'status'), `PID: ${pid}\nStarted at: 2026-12-06 07:45:52\nRevision: 54513\n`);

  it('names the live process another chDB wrote into the status file', () => {
    status(process.ppid);
    expect(embeddedClickHouseHolder(dir)).toBe(process.ppid);
  });

  it('finds none in a fresh directory, in this process, in a dead process or in a file that names no pid', () => {
    expect(embeddedClickHouseHolder(dir)).toBeUndefined();
    status(process.pid);
    expect(embeddedClickHouseHolder(dir)).toBeUndefined();
    // Above any pid_max Linux allows (2^22), so no process has it.
    status(2 ** 22 + 1);
    expect(embeddedClickHouseHolder(dir)).toBeUndefined();
    writeFileSync(path.join(dir, 'status'), 'garbage');
    expect(embeddedClickHouseHolder(dir)).toBeUndefined();
  });
});
