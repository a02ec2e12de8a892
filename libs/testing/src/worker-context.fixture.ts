// A worker-thread entry for libs/platform's worker-context.int.spec.ts: one readiness check, one counter, and a shutdown
// hook that leaves a file behind (the test's proof that stop() closed the modules before ending the thread).
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { Injectable, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { counter, HealthModule, HealthRegistry, serveWorkerContext } from '@audit/platform';

@Injectable()
class FixtureConsumer implements OnModuleInit, OnApplicationShutdown {
  constructor(private readonly health: HealthRegistry) {}

  onModuleInit(): void {
    counter('audit_fixture_messages_total', 'Messages of the fixture', ['consumer']).inc({ consumer: 'fixture' }, 3);
    this.health.register('consumer:fixture', () => (process.env.FIXTURE_UNREADY ? 'fixture is not running' : undefined));
  }

  onApplicationShutdown(): void {
    if (process.env.FIXTURE_STOPPED_FILE) writeFileSync(process.env.FIXTURE_STOPPED_FILE, 'drained');
  }
}

@Module({ imports: [HealthModule], providers: [FixtureConsumer] })
class FixtureModule {}

void serveWorkerContext(FixtureModule, 'fixture');
