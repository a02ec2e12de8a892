import { readConfig } from '@audit/platform';
import { readNatsClientConfig, type NatsClientConfig } from './nats-connect-options';

export interface MessagingConfig {
  /** Servers, credentials, TLS and inbox prefix of the connection (NATS_URL, NATS_USER, ...). */
  nats: NatsClientConfig;
  /**
   * Whether this process creates and updates the streams at start (NATS_PROVISION_STREAMS, default true).
   * Where services run as users that may not touch streams, the provisioner does it and they only check.
   */
  provisionStreams: boolean;
  /** How long AUDIT_EVENTS keeps events; consumers that fall further behind than this lose the rest. */
  streamMaxAgeMs: number;
  /** Window in which a repeated event id is dropped by the server (Nats-Msg-Id). */
  dedupWindowMs: number;
  dlqMaxAgeMs: number;
  replicas: number;
  /** Deliveries after which a message failing for an unknown reason is dead-lettered. */
  maxDeliver: number;
  /**
   * How long a delivered message may go without an ack or a `working()` signal before the server redelivers
   * it: how soon the batch of a process that died comes back (a live process keeps its slow batches alive).
   */
  ackWaitMs: number;
  /** Batches a consumer replica handles at once: overlapping one batch's commit with the next batch's work. */
  inFlightBatches: number;
  /**
   * How long a publish waits for JetStream's ack before it fails (and ingest answers 503, which a client
   * retries with the same ids). Short, because a stream without a leader (a node lost in a cluster) never
   * answers: the sooner the retry, the sooner the event lands once a new leader is elected.
   */
  publishTimeoutMs: number;
}

export const MESSAGING_CONFIG = Symbol('MESSAGING_CONFIG');

export const readMessagingConfig = (source: Record<string, string | undefined> = process.env): MessagingConfig =>
  readConfig(
    (env) => ({
      nats: readNatsClientConfig(env),
      provisionStreams: env.bool('NATS_PROVISION_STREAMS', true),
      streamMaxAgeMs: env.duration('STREAM_MAX_AGE', '7d'),
      dedupWindowMs: env.duration('STREAM_DEDUP_WINDOW', '10m'),
      dlqMaxAgeMs: env.duration('DLQ_MAX_AGE', '30d'),
      replicas: env.int('STREAM_REPLICAS', 1, { min: 1, max: 5 }),
      maxDeliver: env.int('CONSUMER_MAX_DELIVER', 10, { min: 1, max: 1000 }),
      ackWaitMs: env.timer('CONSUMER_ACK_WAIT', '5s', { min: 1_000 }),
      inFlightBatches: env.int('CONSUMER_IN_FLIGHT_BATCHES', 4, { min: 1, max: 64 }),
      publishTimeoutMs: env.timer('NATS_PUBLISH_TIMEOUT', '2s'),
    }),
    source,
  );
