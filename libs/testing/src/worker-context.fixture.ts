// A worker-thread entry for libs/platform's worker-context.int.spec.ts: one readiness check, one counter, a shutdown
// hook that leaves a file behind (the test's proof that stop() closed the modules before ending the thread),
// its young generation limit as a gauge, given FIXTURE_LOCKED_FILE, a task under the cross-thread lock "fixture" that
// writes that file when it runs, and, given FIXTURE_DIE_AFTER_MS, the thread ending on its own that long after it
// started (a crashed consumers thread).
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resourceLimits } from 'node:worker_threads';
import { Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { counter, crossThreadLock, gauge, HealthModule, HealthRegistry, serveWorkerContext } from '@audit/platform';

@Injectable()
class FixtureConsumer implements OnModuleInit, OnApplicationShutdown {
  constructor(private readonly health: HealthRegistry) {}

  onModuleInit(): void {
    counter('audit_fixture_messages_total', 'Messages of the fixture', ['consumer']).inc({ consumer: 'fixture' }, 3);
    gauge('audit_fixture_young_generation_mb', "The thread's young generation limit").set(resourceLimits.maxYoungGenerationSizeMb ?? 0);
    this.health.register('consumer:fixture', () => (process.env.FIXTURE_UNREADY ? 'fixture is not running' : undefined));
    const locked = process.env.FIXTURE_LOCKED_FILE;
    if (locked) void crossThreadLock('fixture').run(() => Promise.resolve(writeFileSync(locked, 'ran')));
    // In a worker thread process.exit ends the thread alone, as an uncaught error in it would.
    const dieAfter = process.env.FIXTURE_DIE_AFTER_MS;
    if (dieAfter) setTimeout(() => process.exit(7), Number(dieAfter));
  }

  onApplicationShutdown(): void {
    if (process.env.FIXTURE_STOPPED_FILE) writeFileSync(process.env.FIXTURE_STOPPED_FILE, 'drained');
  }
}

@Module({ imports: [HealthModule], providers: [FixtureConsumer] })
class FixtureModule {}

void serveWorkerContext(FixtureModule, 'fixture');
