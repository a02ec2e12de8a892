import { DiscardPolicy, jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { readMessagingConfig, type MessagingConfig } from './config';
import { STREAMS, SUBJECTS } from '@audit/bus-topology';

/** The subjects each stream captures (provisionStreams keeps every stream at exactly these). */
const STREAM_SUBJECTS: Readonly<Record<string, string>> = {
  [STREAMS.ingest]: SUBJECTS.ingestAll,
  [STREAMS.events]: SUBJECTS.eventsAll,
  [STREAMS.checkpoints]: SUBJECTS.checkpointsAll,
  [STREAMS.dlq]: SUBJECTS.dlqAll,
};

/**
 * The filter_subject a durable consumer is given for `filterSubject`: none when that is everything the stream
 * captures, which reads the same messages. nats-server 2.9 counts a filtered consumer's pending messages
 * (every consumer info, so every readiness gauge, sealer pass and test poll) by walking the stream from the
 * consumer's position: measured 15 ms of server CPU per info on 60,000 stored events (bench/nats-cost.bench.ts),
 * against a subtraction for an unfiltered one.
 */
export function consumerFilterSubject(stream: string, filterSubject: string): string | undefined {
  return STREAM_SUBJECTS[stream] === filterSubject ? undefined : filterSubject;
}

/** The streams, derived from configuration; applied idempotently by every service at start. */
export function streamConfigs(config: MessagingConfig): Array<Partial<StreamConfig> & { name: string }> {
  const base = { storage: StorageType.File, num_replicas: config.replicas, discard: DiscardPolicy.Old };
  return [
    {
      ...base,
      name: STREAMS.ingest,
      subjects: [STREAM_SUBJECTS[STREAMS.ingest]],
      // Each raw event is taken once by one ingest replica, then removed.
      retention: RetentionPolicy.Workqueue,
      duplicate_window: nanos(config.dedupWindowMs),
      max_age: nanos(config.streamMaxAgeMs),
    },
    {
      ...base,
      name: STREAMS.events,
      subjects: [STREAM_SUBJECTS[STREAMS.events]],
      // Limits retention: every projection reads the whole log at its own pace.
      retention: RetentionPolicy.Limits,
      duplicate_window: nanos(config.dedupWindowMs),
      max_age: nanos(config.streamMaxAgeMs),
    },
    {
      ...base,
      name: STREAMS.checkpoints,
      subjects: [STREAM_SUBJECTS[STREAMS.checkpoints]],
      // Signed checkpoints of each organization's log, for the sinks to ship off the machine; the
      // sealer's `<org>:<tree size>` message id makes a republished checkpoint a no-op.
      retention: RetentionPolicy.Limits,
      duplicate_window: nanos(config.dedupWindowMs),
      max_age: nanos(config.streamMaxAgeMs),
    },
    {
      ...base,
      name: STREAMS.dlq,
      subjects: [STREAM_SUBJECTS[STREAMS.dlq]],
      retention: RetentionPolicy.Limits,
      max_age: nanos(config.dlqMaxAgeMs),
    },
  ];
}

/** Creates each stream, or updates its mutable settings (max age, dedup window) when it exists. */
export async function provisionStreams(jsm: JetStreamManager, config: MessagingConfig): Promise<void> {
  for (const desired of streamConfigs(config)) {
    try {
      const current = await jsm.streams.info(desired.name);
      // Retention and storage cannot change on an existing stream; everything else follows the config.
      const update: Partial<StreamConfig> = { ...current.config, ...desired, retention: current.config.retention, storage: current.config.storage };
      await jsm.streams.update(desired.name, update);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await jsm.streams.add(desired);
    }
  }
}

export function isNotFound(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /not found/i.test(message);
}

/**
 * For a process that may not create streams: checks that each exists, naming the missing ones and what
 * creates them (the provisioner), so a service started before provisioning fails with a clear message.
 */
export async function verifyStreams(jsm: JetStreamManager, config: MessagingConfig): Promise<void> {
  const missing: string[] = [];
  for (const { name } of streamConfigs(config)) {
    try {
      await jsm.streams.info(name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      missing.push(name);
    }
  }
  if (missing.length > 0) {
    throw new Error(
      `stream(s) ${missing.join(', ')} do not exist and NATS_PROVISION_STREAMS=false: run a process as the NATS provisioner ` +
        'with NATS_PROVISION_STREAMS=true first (docs/nats-security.md)',
    );
  }
}

/**
 * Provisions the streams on one server as the given user (the provisioner of the embedded nats-server):
 * only the stream settings (STREAM_*, DLQ_MAX_AGE) are read from the environment, never its identity.
 */
export async function provisionStreamsAs(server: { url: string; user: string; password: string }): Promise<void> {
  const nc = await connect({ servers: server.url, user: server.user, pass: server.password, timeout: 5_000 });
  try {
    const identity = { NATS_URL: server.url, NATS_USER: undefined, NATS_PASSWORD: undefined, NATS_PASSWORD_FILE: undefined, NATS_CREDS: undefined };
    await provisionStreams(await jetstreamManager(nc), readMessagingConfig({ ...process.env, ...identity }));
  } finally {
    await nc.close();
  }
}
