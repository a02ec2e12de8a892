import { readdirSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { readAuthConfig, TokensService } from '@audit/auth';
import { createTestDatabase, runCliProcess, startService, startTestNats, waitFor, type RunningService, type TestDatabase, type TestNats } from '@audit/testing';

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
/** Names embedded ClickHouse gives the threads of its global pool while they run a statement's work. */
const STATEMENT_WORK = /^(Query[A-Za-z]*PipeEx|QueryPipelineEx|ChunkParser|Segmentator|Collector|Formatter|AggregDestruct|AggregatorPool)$/;

/** The niceness of each statement-work thread seen while `work` runs, looked at every millisecond or so. */
async function statementNicenessWhile(pid: number, work: () => Promise<unknown>): Promise<Set<number>> {
  const seen = new Set<number>();
  let running = true;
  const looking = (async () => {
    while (running) {
      for (const t of threadsOf(pid)) if (STATEMENT_WORK.test(t.name)) seen.add(t.niceness);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await looking;
  }
  return seen;
}

/**
 * Starts the service at niceness 0, as a service manager would, whatever niceness this test run has: a
 * child inherits its parent's, and the service only ever lowers its threads (never raising one an
 * operator lowered), so under `nice npm test` its pools would stay at the run's niceness, not at 5.
 */
async function startedAtNicenessZero<T>(start: () => Promise<T>): Promise<T> {
  const own = getPriority();
  if (own === 0) return start();
  setPriority(0);
  try {
    return await start();
  } finally {
    setPriority(own);
  }
}

const SECRET = 'thread-priority-secret-thread-priority-0123';
const ORG = 'threads';
const linux = process.platform === 'linux' ? describe : describe.skip;

/** The thread answering HTTP runs first: raised over the process's other threads, and the consumers and embedded ClickHouse's background merges give way to it. */
linux('standalone thread priorities', () => {
  let db: TestDatabase;
  let nats: TestNats;
  let service: RunningService | undefined;

  beforeAll(async () => {
    [db, nats] = await Promise.all([createTestDatabase('standalone_threads'), startTestNats()]);
    service = await startedAtNicenessZero(() => startService('standalone', { DATABASE_URL: db.url, NATS_URL: nats.url, AUTH_JWT_SECRET: SECRET }, 150_000));
  });

  afterAll(async () => {
    await service?.stop();
    await nats?.destroy();
    await db?.drop();
  });

  it("raises the main thread to niceness -10 alone and runs the consumers and chDB's background pools at niceness 5", async () => {
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
    expect(threads.find((t) => t.tid === pid)?.niceness).toBe(-10);
    // Raised after the others started: none of them inherited it (chDB's MemoryWorker raises itself to -20).
    expect(threads.filter((t) => t.tid !== pid && t.name !== 'MemoryWorker' && t.niceness < 0)).toEqual([]);
    // The consumers thread (a Node thread like V8's and libuv's helpers, but lowered).
    expect(threads.filter((t) => t.name === 'node' && t.niceness === 5).length).toBeGreaterThanOrEqual(1);
  });

  it("runs the projector's embedded ClickHouse statements at the consumers' niceness and the analytics reads at the main thread's (-10)", async () => {
    const pid = service?.process.pid as number;
    const url = service?.url as string;
    const created = await runCliProcess(['keys', 'create', '--org', ORG, '--json'], { DATABASE_URL: db.url, NATS_URL: nats.url });
    const key = (JSON.parse(created.stdout) as { key: string }).key;
    const token = await new TokensService(readAuthConfig({ AUTH_JWT_SECRET: SECRET })).sign({ organizationId: ORG, role: 'admin', userId: 'threads-admin' }, 600);
    const batch = (n: number) => JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ organizationId: ORG, actionType: 'LOGIN', userId: `u${(n * 500 + i) % 97}`, metadata: { n, i, note: 'x'.repeat(200) } })));
    const summary = async (): Promise<number> => {
      const res = await fetch(`${url}/v1/analytics/summary?from=${encodeURIComponent(new Date(Date.now() - 86_400_000).toISOString())}&to=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`, { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`summary answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { total: number }).total;
    };

    const whileIngesting = await statementNicenessWhile(pid, async () => {
      for (let n = 0; n < 20; n++) {
        const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: batch(n) });
        if (res.status !== 202) throw new Error(`POST /v1/events answered ${res.status}: ${await res.text()}`);
      }
      // Counted by ClickHouse: the projector has inserted every event.
      await waitFor('10,000 events in ClickHouse', async () => (await summary()) >= 10_000, 120_000, 200);
    });
    expect(whileIngesting.has(5)).toBe(true);

    // Each read is itself audited, so the projector inserts beside the reads (at 5); the reads' statements run raised, at -10 (where CAP_SYS_NICE allows, as for the main thread above).
    // (libs/clickhouse's embedded-niceness.int.spec.ts runs two connections side by side without this overlap.)
    const whileReading = await statementNicenessWhile(pid, async () => {
      for (let i = 0; i < 20; i++) expect(await summary()).toBeGreaterThanOrEqual(10_000);
    });
    expect(whileReading.has(-10)).toBe(true);
    // And no shared pool thread stays raised after them, to run the projector's next statements over the reads.
    const raisedAfter = () => threadsOf(pid).filter((t) => t.tid !== pid && t.name !== 'MemoryWorker' && t.niceness < 0);
    await waitFor('the threads the reads raised back at 0', () => raisedAfter().length === 0 || undefined, 5_000, 50).catch(() => undefined);
    expect(raisedAfter()).toEqual([]);
  });
});
