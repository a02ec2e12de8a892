import { BeforeApplicationShutdown, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import path from 'node:path';
import { isEmbeddedClickHouseBackgroundThread } from '@audit/clickhouse';
import { addMetricsSource, HealthRegistry, lowerThreadPriority, startWorkerContext, type WorkerContext } from '@audit/platform';

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
 * The consumers thread's young generation, MB (semi-spaces of a third of it; V8's default is 48). The thread
 * decodes and encodes thousands of events a second: with semi-spaces of 32 MB it scavenged about half as
 * often in bench:mixed (40 beside 75 scavenges in the last 90 s of two runs side by side, 6.1 beside 10.3 s
 * of pauses on a machine at load 25-37), for about 50 MB more at most. Its collections matter beyond
 * the thread: V8 runs their parallel parts on its process-wide helper threads, at the main thread's priority.
 */
const CONSUMERS_YOUNG_GENERATION_MB = 96;

/**
 * How often embedded ClickHouse's background threads are brought to the consumers' niceness. chDB starts
 * its pools on the main thread (the first connection opens there), so they run at its priority; the merges
 * they do follow the projector's inserts and took as much CPU as the consumers thread itself at 50% of the
 * maximum (bench:mixed). A pool grows later, from threads of either priority: each sweep lowers the new ones
 * (a look at ~60 /proc entries, about a millisecond).
 */
const BACKGROUND_SWEEP_MS = 5_000;

/**
 * Runs {@link ConsumersModule} in a worker thread of the standalone process, so that a burst of ingest
 * (the writer decoding and inserting thousands of events a second) does not hold the thread that answers
 * administrators' reads, at a lower scheduling priority than this thread, and so do embedded ClickHouse's
 * background merges and the thread's own ClickHouse statements (the projector's inserts and checks: its
 * connections take the thread's niceness, see embeddedStatementNiceness). Its readiness checks and metrics are served by this thread's /readyz and /metrics.
 */
@Injectable()
export class ConsumersThread implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private thread?: WorkerContext;
  private removeMetrics?: () => void;
  private sweep?: NodeJS.Timeout;

  constructor(private readonly health: HealthRegistry) {}

  async onApplicationBootstrap(): Promise<void> {
    const thread = await startWorkerContext(path.join(__dirname, 'consumers.worker.ts'), 'consumers', {
      niceness: CONSUMERS_NICENESS,
      resourceLimits: { maxYoungGenerationSizeMb: CONSUMERS_YOUNG_GENERATION_MB },
    });
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
    const lowerBackground = (): void => void lowerThreadPriority(CONSUMERS_NICENESS, (t) => isEmbeddedClickHouseBackgroundThread(t.name));
    lowerBackground();
    this.sweep = setInterval(lowerBackground, BACKGROUND_SWEEP_MS).unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.sweep);
    await this.thread?.stop();
    this.removeMetrics?.();
  }
}
