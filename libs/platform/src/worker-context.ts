import { Logger, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { existsSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import path from 'node:path';
import { parentPort, Worker, workerData, type ResourceLimits } from 'node:worker_threads';
import { register, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { lockCellsForWorker, LOCK_CELLS_KEY } from './cross-thread-lock';
import { EXIT_GRACE_MS, exitWhenSafe } from './exit-guard';
import { HealthRegistry } from './health';
import { JsonLogger } from './logger';

/**
 * Nest modules without HTTP, booted in a worker thread of the process (node:worker_threads) so that
 * their CPU (batch consumers decoding and writing thousands of events) never runs on the thread that
 * answers HTTP. The thread's readiness checks and metrics are served by the main thread's /readyz and
 * /metrics as if the modules ran there; shutting the process down drains the thread first.
 */

type Request = { id: number; type: 'health' | 'metrics' | 'stop' };
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
type Ready = { type: 'ready'; checks: string[] } | { type: 'failed'; error: string };

/** The key of `workerData` under which the thread's niceness travels (see {@link WorkerContextOptions}). */
const NICENESS_KEY = 'niceness';

export interface WorkerContextOptions {
  /** Environment of the thread, over this process's. */
  env?: Record<string, string>;
  /**
   * Scheduling niceness of the thread (Linux: 1-19, lower priority than the main thread's 0). On a machine
   * whose cores are all busy the kernel then runs the main thread first whenever it has work: the HTTP
   * thread keeps answering, and the thread's consumers slow down instead (their stream holds what they have
   * not taken yet). Where threads cannot be reniced (another system) the thread runs at the process's priority.
   */
  niceness?: number;
  /** V8 heap limits of the thread's own isolate (e.g. a larger young generation for a thread that allocates a lot). */
  resourceLimits?: ResourceLimits;
}

/**
 * Lowers this thread's scheduling priority. Linux schedules threads one by one: setpriority() on the
 * thread's own id (from /proc/thread-self) applies to this thread alone, and to the threads it starts later.
 */
function reniceThisThread(niceness: number, logger: JsonLogger): void {
  try {
    const tid = Number(path.basename(readlinkSync('/proc/thread-self')));
    setPriority(tid, niceness);
  } catch (error) {
    logger.warn({ msg: 'cannot lower the thread priority; it runs at the process priority', error: error instanceof Error ? error.message : String(error) });
  }
}

/** Worker side: boots `rootModule` as an application context and answers the main thread until told to stop. */
export async function serveWorkerContext(rootModule: Type<unknown>, name: string): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('serveWorkerContext runs in a worker thread');
  const logger = new JsonLogger(name);
  const niceness = ((workerData ?? {}) as Record<string, unknown>)[NICENESS_KEY];
  // Before the modules boot: the threads they start (pools, timers' helpers) inherit it.
  if (typeof niceness === 'number' && niceness > 0) reniceThisThread(niceness, logger);
  let app: INestApplicationContext;
  try {
    app = await NestFactory.createApplicationContext(rootModule, { logger });
  } catch (error) {
    port.postMessage({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies Ready);
    return;
  }
  const health = app.get(HealthRegistry);
  port.on('message', (request: Request) => {
    const answer = async (): Promise<unknown> => {
      switch (request.type) {
        case 'health':
          return (await health.evaluate()).checks;
        case 'metrics':
          return register.getMetricsAsJSON();
        case 'stop':
          await app.close();
          return undefined;
      }
    };
    answer().then(
      (value) => port.postMessage({ id: request.id, ok: true, value } satisfies Reply),
      (error: unknown) => port.postMessage({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies Reply),
    );
  });
  port.postMessage({ type: 'ready', checks: health.names() } satisfies Ready);
}

/** Main side: a running worker context. */
export interface WorkerContext {
  /** The names of the thread's readiness checks. */
  readonly checks: string[];
  /** Runs the thread's readiness checks. */
  health(): Promise<Record<string, { ok: boolean; detail?: string }>>;
  /** The thread's metrics, to be merged with the main thread's. */
  metrics(): Promise<MetricObjectWithValues<MetricValue<string>>[]>;
  /** Closes the thread's modules (consumers drain their batches), then ends the thread. */
  stop(): Promise<void>;
}

/**
 * Starts `entry` (a file calling {@link serveWorkerContext}) in a worker thread and resolves once its
 * modules are initialised. From TypeScript sources (`npm start`) the thread goes through scripts/run.js,
 * as the process did; from a build, the compiled `.js` beside `entry` runs directly. The thread sees this
 * process's environment, with `env` over it. A thread that dies ends the process: its consumers would
 * silently stop otherwise.
 */
export async function startWorkerContext(entry: string, name: string, { env = {}, niceness, resourceLimits }: WorkerContextOptions = {}): Promise<WorkerContext> {
  const logger = new Logger(name);
  const compiled = entry.replace(/\.ts$/, '.js');
  const runner = path.resolve(__dirname, '../../../scripts/run.js');
  // The process's cross-thread locks go with it: the same name is the same lock in both threads.
  const options = { env: { ...process.env, ...env }, workerData: { [LOCK_CELLS_KEY]: lockCellsForWorker(), [NICENESS_KEY]: niceness }, resourceLimits };
  const worker =
    entry.endsWith('.ts') && !existsSync(compiled)
      ? new Worker(runner, { ...options, argv: [path.relative(path.dirname(path.dirname(runner)), entry)] })
      : new Worker(compiled, options);
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let stopping = false;
  const ready = new Promise<string[]>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`${name} thread exited with ${code} before it was ready`)));
    worker.on('message', (message: Ready | Reply) => {
      if ('type' in message) {
        if (message.type === 'ready') resolve(message.checks);
        else reject(new Error(`${name} thread failed to start: ${message.error}`));
        return;
      }
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(new Error(message.error));
    });
  });
  const checks = await ready;
  worker.removeAllListeners('error');
  worker.removeAllListeners('exit');
  worker.on('error', (error) => {
    logger.error({ msg: `${name} thread failed; exiting`, error: error.message });
    void exitWhenSafe(1, EXIT_GRACE_MS, logger);
  });
  worker.on('exit', (code) => {
    if (stopping) return;
    logger.error({ msg: `${name} thread exited unexpectedly; exiting`, code });
    void exitWhenSafe(1, EXIT_GRACE_MS, logger);
  });
  const request = <T>(type: Request['type']): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ id, type } satisfies Request);
    });
  return {
    checks,
    health: () => request('health'),
    metrics: () => request('metrics'),
    stop: async () => {
      if (stopping) return;
      stopping = true;
      await request('stop');
      await worker.terminate();
    },
  };
}
