import { Inject, Injectable, Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import type { JsMsg } from '@nats-io/jetstream';
import { HealthModule, HealthRegistry, PlatformModule } from '@audit/platform';
import { bootModules, connectTestBus, startTestNats, waitFor, type TestBus, type TestNats } from '@audit/testing';
import { JetStreamBatchConsumer, type Delivery } from './batch-consumer';
import { MESSAGING_CONFIG, type MessagingConfig } from './config';
import { JetStreamConnection } from './jetstream.connection';
import { MessagingModule } from './messaging.module';
import { STREAMS } from '@audit/bus-topology';

jest.setTimeout(60_000);

/** Records how many of its batches run at once; each batch takes a while, like a slow insert. */
abstract class OverlapProbe extends JetStreamBatchConsumer<string> {
  active = 0;
  maxRunning = 0;
  readonly done = new Set<string>();
  readonly sizes: number[] = [];

  protected decode(message: JsMsg): string {
    return message.string();
  }

  protected async handleBatch(batch: ReadonlyArray<Delivery<string>>): Promise<void> {
    this.active++;
    this.maxRunning = Math.max(this.maxRunning, this.active);
    this.sizes.push(batch.length);
    await new Promise((resolve) => setTimeout(resolve, 40));
    for (const { payload } of batch) this.done.add(payload);
    this.active--;
  }
}

const options = { stream: STREAMS.events, maxBatchMessages: 20, maxBatchBytes: 1 << 20, flushIntervalMs: 5 };

@Injectable()
class SerialProbe extends OverlapProbe {
  constructor(bus: JetStreamConnection, @Inject(MESSAGING_CONFIG) messaging: MessagingConfig, health: HealthRegistry) {
    super(bus, messaging, health, { ...options, durable: 'serial', filterSubject: 'audit.events.overlap.>', inFlightBatches: 1 });
  }
}

@Injectable()
class ParallelProbe extends OverlapProbe {
  constructor(bus: JetStreamConnection, @Inject(MESSAGING_CONFIG) messaging: MessagingConfig, health: HealthRegistry) {
    super(bus, messaging, health, { ...options, durable: 'parallel', filterSubject: 'audit.events.overlap.>', inFlightBatches: 3 });
  }
}

@Module({ imports: [HealthModule, MessagingModule], providers: [SerialProbe, ParallelProbe] })
class ProbeModule {}

describe('JetStreamBatchConsumer in-flight limit', () => {
  let nats: TestNats;
  let bus: TestBus;
  let app: TestingModule;

  beforeAll(async () => {
    nats = await startTestNats();
    app = await bootModules([PlatformModule, MessagingModule, ProbeModule], { NATS_URL: nats.url });
    bus = await connectTestBus(nats.url);
  });

  afterAll(async () => {
    await app?.close();
    await bus?.close();
    await nats?.destroy();
  });

  it('never runs more batches at once than allowed, whether a batch was started by size or by the flush timer', async () => {
    const ids = Array.from({ length: 400 }, (_, i) => `m${i}`);
    // Bursts and pauses, so both size-driven and timer-driven flushes happen while a batch is running.
    for (let i = 0; i < ids.length; i += 37) {
      await Promise.all(ids.slice(i, i + 37).map((id) => bus.js.publish('audit.events.overlap.LOGIN', id)));
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    const serial = app.get(SerialProbe);
    const parallel = app.get(ParallelProbe);
    await waitFor('every message handled by both consumers', () => serial.done.size === ids.length && parallel.done.size === ids.length, 30_000);

    expect(serial.maxRunning).toBe(1);
    expect(parallel.maxRunning).toBeGreaterThan(1);
    expect(parallel.maxRunning).toBeLessThanOrEqual(3);
    expect(Math.max(...serial.sizes, ...parallel.sizes)).toBeLessThanOrEqual(20);
  });
});
