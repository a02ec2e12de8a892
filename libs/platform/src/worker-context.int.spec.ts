import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crossThreadLock } from './cross-thread-lock';
import { counter, addMetricsSource, MetricsController } from './metrics';
import { startWorkerContext } from './worker-context';

// The worker's entry is a test fixture, kept with the other fixtures in libs/testing (never in production src).
const FIXTURE = path.join(__dirname, '../../testing/src/worker-context.fixture.ts');

/** A worker thread of modules, seen from the main thread: its checks, its metrics merged, its drain on stop. */
describe('startWorkerContext', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-worker-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports the thread checks, merges its metrics into /metrics, and closes its modules on stop', async () => {
    const stopped = path.join(dir, 'stopped');
    const thread = await startWorkerContext(FIXTURE, 'fixture', { env: { FIXTURE_STOPPED_FILE: stopped } });
    try {
      expect(thread.checks).toEqual(['consumer:fixture']);
      expect(await thread.health()).toEqual({ 'consumer:fixture': { ok: true } });

      // The same counter in both threads, different labels: one family, both series.
      counter('audit_fixture_messages_total', 'Messages of the fixture', ['consumer']).inc({ consumer: 'main' }, 2);
      const remove = addMetricsSource(() => thread.metrics());
      const text = await new MetricsController().metrics();
      remove();
      expect(text.match(/^# TYPE audit_fixture_messages_total counter$/gm)).toHaveLength(1);
      expect(text).toMatch(/^audit_fixture_messages_total\{consumer="fixture"\} 3$/m);
      expect(text).toMatch(/^audit_fixture_messages_total\{consumer="main"\} 2$/m);
      expect(existsSync(stopped)).toBe(false);
    } finally {
      await thread.stop();
    }
    expect(readFileSync(stopped, 'utf8')).toBe('drained');
  }, 60_000);

  it('runs the thread at the niceness asked, the main thread unchanged', async () => {
    const niceOf = (tid: string) => Number(readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
    const before = new Set(readdirSync(`/proc/${process.pid}/task`));
    // Whatever niceness the test run itself has (`nice npm test`): the thread's must not leak into it.
    const mainBefore = niceOf(String(process.pid));
    const thread = await startWorkerContext(FIXTURE, 'fixture', { niceness: 7 });
    try {
      const started = readdirSync(`/proc/${process.pid}/task`).filter((tid) => !before.has(tid));
      expect(started.map(niceOf)).toContain(7);
      expect(niceOf(String(process.pid))).toBe(mainBefore);
    } finally {
      await thread.stop();
    }
  }, 60_000);

  it("gives the thread the heap limits asked, V8's own otherwise", async () => {
    const youngGenerationOf = async (limits?: { maxYoungGenerationSizeMb: number }): Promise<number | undefined> => {
      const thread = await startWorkerContext(FIXTURE, 'fixture', { resourceLimits: limits });
      try {
        return (await thread.metrics()).find((m) => m.name === 'audit_fixture_young_generation_mb')?.values[0]?.value;
      } finally {
        await thread.stop();
      }
    };
    expect(await youngGenerationOf({ maxYoungGenerationSizeMb: 96 })).toBe(96);
    const byDefault = await youngGenerationOf();
    expect(byDefault).toBeGreaterThan(0);
    expect(byDefault).not.toBe(96);
  });

  it('shares the cross-thread locks the main thread took: a task of the thread waits while the main thread holds one', async () => {
    const locked = path.join(dir, 'locked');
    let release = (): void => undefined;
    const held = crossThreadLock('fixture').run(() => new Promise<void>((resolve) => (release = resolve)));
    const thread = await startWorkerContext(FIXTURE, 'fixture', { env: { FIXTURE_LOCKED_FILE: locked } });
    try {
      await sleep(300);
      expect(existsSync(locked)).toBe(false);
      release();
      await held;
      for (const deadline = Date.now() + 5_000; !existsSync(locked) && Date.now() < deadline; ) await sleep(20);
      expect(readFileSync(locked, 'utf8')).toBe('ran');
    } finally {
      await thread.stop();
    }
  }, 60_000);

  it('fails to start when the thread cannot boot its modules', async () => {
    await expect(startWorkerContext(path.join(dir, 'missing.worker.ts'), 'missing')).rejects.toThrow(/Cannot find module/);
  }, 60_000);
});
