import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import path from 'node:path';
import { addMetricsSource, HealthRegistry, startWorkerContext, type WorkerContext } from '@audit/platform';

/**
 * The consumers thread's scheduling niceness. When ingest at full speed keeps every core busy, the kernel
 * runs the HTTP thread first (at 5 it takes three quarters of a contended core, and ingest needs less):
 * reads and /healthz keep their latency, and the consumers slow down instead, their streams holding what
 * they have not taken yet until the load falls. Not more: niceness also weighs the thread against every
 * other process of the machine (Postgres, NATS, other tenants): at 10 the consumers would get a ninth of a
 * core contended with any of them, and the sustained maximum of a shared machine would fall with it.
 */
const CONSUMERS_NICENESS = 5;

/**
 * Runs {@link ConsumersModule} in a worker thread of the standalone process, so that a burst of ingest
 * (the writer decoding and inserting thousands of events a second) does not hold the thread that answers
 * administrators' reads, at a lower scheduling priority than this thread. Its readiness checks and metrics are
 * served by this thread's /readyz and /metrics.
 */
@Injectable()
export class ConsumersThread implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private thread?: WorkerContext;
  private removeMetrics?: () => void;

  constructor(private readonly health: HealthRegistry) {}

  async onApplicationBootstrap(): Promise<void> {
    const thread = await startWorkerContext(path.join(__dirname, 'consumers.worker.ts'), 'consumers', { niceness: CONSUMERS_NICENESS });
    this.thread = thread;
    // nats and postgres are this thread's own checks too; the thread's consumers are added beside them.
    const own = new Set(this.health.names());
    for (const name of thread.checks.filter((n) => !own.has(n))) {
      this.health.register(name, async () => {
        const result = (await thread.health())[name];
        return result?.ok ? undefined : (result?.detail ?? 'not reported by the consumers thread');
      });
    }
    this.removeMetrics = addMetricsSource(() => thread.metrics());
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.thread?.stop();
    this.removeMetrics?.();
  }
}
