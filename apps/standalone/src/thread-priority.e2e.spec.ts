import { readdirSync, readFileSync } from 'node:fs';
import { createTestDatabase, startService, startTestNats, waitFor, type RunningService, type TestDatabase, type TestNats } from '@audit/testing';

jest.setTimeout(180_000);

interface Thread {
  tid: number;
  name: string;
  niceness: number;
}

function threadsOf(pid: number): Thread[] {
  const threads: Thread[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      threads.push({ tid: Number(tid), name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), niceness: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) });
    } catch {
      // ended meanwhile
    }
  }
  return threads;
}

const BACKGROUND = /^(MergeMutate|Move|Fetch|Common|PoolDelayExec|Bg[A-Za-z]*SchPool)$/;
const linux = process.platform === 'linux' ? describe : describe.skip;

/** The thread answering HTTP runs first: the consumers and embedded ClickHouse's background merges give way to it. */
linux('standalone thread priorities', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let service: RunningService | undefined;

  beforeAll(async () => {
    [db, nats] = await Promise.all([createTestDatabase('standalone_threads'), startTestNats()]);
    service = await startService('standalone', { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: 'thread-priority-secret-thread-priority-0123' }, 150_000);
  });

  afterAll(async () => {
    await service?.stop();
    await nats?.destroy();
    await db?.drop();
  });

  it("keeps the main thread at the process's priority and runs the consumers and chDB's background pools at niceness 5", async () => {
    const pid = service?.process.pid as number;
    const threads = await waitFor(
      "embedded ClickHouse's background pools at the consumers' niceness",
      () => {
        const all = threadsOf(pid);
        const background = all.filter((t) => BACKGROUND.test(t.name));
        return background.length > 0 && background.every((t) => t.niceness === 5) ? all : undefined;
      },
      30_000,
      500,
    );
    expect(threads.find((t) => t.tid === pid)?.niceness).toBe(0);
    // The consumers thread (a Node thread like V8's and libuv's helpers, but lowered).
    expect(threads.filter((t) => t.name === 'node' && t.niceness === 5).length).toBeGreaterThanOrEqual(1);
  });
});
