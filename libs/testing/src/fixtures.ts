import type { DynamicModule, Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { jetstream, jetstreamManager, type ConsumerInfo, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { validateEvent, type AuditEvent, type AuditEventInput } from '@audit/contracts';
import { HealthRegistry } from '@audit/platform';
import { waitFor } from './wait-for';

/** A canonical event, exactly as ingest would publish it (validated, ids and timestamps normalised). */
export function canonicalEvent(input: AuditEventInput, now = new Date()): AuditEvent {
  const result = validateEvent(input, { now });
  if (!result.ok) throw new Error(`test fixture is not a valid event: ${JSON.stringify(result.errors)}`);
  return result.event;
}

/** The test's own view of the bus: a plain connection, independent of the services under test. */
export interface TestBus {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  close(): Promise<void>;
}

export async function connectTestBus(url: string): Promise<TestBus> {
  const nc = await connect({ servers: url, name: 'audit-test', maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  return {
    nc,
    js: jetstream(nc),
    jsm: await jetstreamManager(nc),
    close: async () => {
      if (!nc.isClosed()) await nc.close();
    },
  };
}

/** A provider the test replaces with its own value, e.g. the stream the stdout sink writes to. */
export interface ProviderOverride {
  provide: string | symbol | Type<unknown>;
  useValue: unknown;
}

/**
 * Compiles the given Nest modules in-process with `env` applied to process.env first (the modules read
 * their configuration at compile time), runs every init hook (migrations, streams, consumers), and
 * waits until readiness passes, as `startService` waits for /readyz: every consumer is then pulling.
 * Close the returned module with `close()` to drain consumers and release connections.
 */
export async function bootModules(
  imports: Array<Type<unknown> | DynamicModule>,
  env: Record<string, string>,
  overrides: readonly ProviderOverride[] = [],
): Promise<TestingModule> {
  Object.assign(process.env, env);
  const builder = Test.createTestingModule({ imports });
  for (const { provide, useValue } of overrides) builder.overrideProvider(provide).useValue(useValue);
  const moduleRef = await builder.compile();
  try {
    await moduleRef.init();
    const health = moduleRef.get(HealthRegistry);
    await waitFor('the modules to be ready', async () => {
      const { ready, checks } = await health.evaluate();
      if (!ready) throw new Error(JSON.stringify(checks));
      return true;
    });
  } catch (error) {
    // Release what did start, without letting a stuck shutdown hide the start-up failure.
    await Promise.race([moduleRef.close().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    throw error;
  }
  return moduleRef;
}

/** One stored stream message, decoded for assertions. */
export interface StoredMessage {
  seq: number;
  subject: string;
  headers: Record<string, string>;
  data: string;
}

/** Every message a stream currently holds, oldest first (deleted sequences are skipped). */
export async function readStream(jsm: JetStreamManager, stream: string): Promise<StoredMessage[]> {
  const { state } = await jsm.streams.info(stream);
  const messages: StoredMessage[] = [];
  if (state.messages === 0) return messages;
  for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
    const message = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (message === null) continue;
    const headers: Record<string, string> = {};
    for (const [key, values] of message.header) headers[key] = values.join(', ');
    messages.push({ seq, subject: message.subject, headers, data: message.string() });
  }
  return messages;
}

/** Waits until a durable consumer has nothing left: no message waiting, none delivered and unacknowledged. */
export async function waitForConsumerIdle(jsm: JetStreamManager, stream: string, durable: string, timeoutMs = 20_000): Promise<ConsumerInfo> {
  return waitFor(
    `consumer ${durable} on ${stream} to acknowledge everything`,
    async () => {
      const info = await jsm.consumers.info(stream, durable);
      return info.num_pending === 0 && info.num_ack_pending === 0 ? info : undefined;
    },
    timeoutMs,
    100,
  );
}
