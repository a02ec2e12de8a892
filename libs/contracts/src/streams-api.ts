import type { ActionType } from './action-types';

/**
 * What `/v1/streams` accepts and answers (docs/streams.md): shared by the streams service, the OpenAPI
 * document and the console, so a field is described once.
 */

/** The stream formats, in the order they are documented (`@audit/stream-formats` renders each). */
export const STREAM_FORMATS = ['json', 'ocsf', 'cef', 'ecs'] as const;
export type StreamFormat = (typeof STREAM_FORMATS)[number];

export const DESTINATION_TYPES = ['webhook', 'datadog', 'splunk', 's3', 'syslog'] as const;
export type DestinationType = (typeof DESTINATION_TYPES)[number];

/** Signed JSON POSTs; `secrets` (one, or two while rotating) sign each request. */
export interface WebhookDestination {
  type: 'webhook';
  url: string;
}
/** The Datadog logs intake: `url`, else the intake of `site`. */
export interface DatadogDestination {
  type: 'datadog';
  site: string;
  url?: string;
  tags: string[];
}
/** A Splunk HTTP Event Collector endpoint (`…/services/collector/event`). */
export interface SplunkDestination {
  type: 'splunk';
  url: string;
  index?: string;
  sourcetype: string;
}
/** S3-compatible object storage: one gzip'd JSON-lines object per time slice. */
export interface S3Destination {
  type: 's3';
  bucket: string;
  prefix: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  accessKeyId?: string;
  /** A slice closes after this many seconds or `maxEvents` events, whichever comes first. */
  sliceSeconds: number;
  maxEvents: number;
}
/** Syslog (RFC 5424) over TCP or TLS with octet-counting framing (RFC 6587). */
export interface SyslogDestination {
  type: 'syslog';
  host: string;
  port: number;
  tls: boolean;
  /** PEM of the CA that signed the receiver's certificate, when it is not a public one. */
  caCertificate?: string;
  serverName?: string;
}
export type Destination = WebhookDestination | DatadogDestination | SplunkDestination | S3Destination | SyslogDestination;

/** The secret part of each destination: stored encrypted, never returned, never logged. */
export interface DestinationSecrets {
  /** webhook: the signing secrets, newest first (two while rotating). */
  secrets?: string[];
  /** datadog */
  apiKey?: string;
  /** splunk */
  token?: string;
  /** s3 */
  secretAccessKey?: string;
}

/** Which secret fields each destination type needs. */
export const SECRET_FIELDS: Record<DestinationType, ReadonlyArray<keyof DestinationSecrets>> = {
  webhook: ['secrets'],
  datadog: ['apiKey'],
  splunk: ['token'],
  s3: ['secretAccessKey'],
  syslog: [],
};

/** The filters of GET /v1/events that apply to a live stream (a time window does not). */
export interface StreamFilter {
  actionType?: ActionType[];
  userId?: string;
  pageName?: string;
  queryName?: string;
  resourceName?: string;
  ipAddress?: string;
  /** Case-insensitive substring of the page, query or resource name, or of the query text. */
  q?: string;
}

export const STREAM_STATUSES = ['active', 'paused', 'failing'] as const;
export type StreamStatus = (typeof STREAM_STATUSES)[number];

/** How far a stream is behind the bus (its durable consumer's position in AUDIT_EVENTS). */
export interface StreamLag {
  /** The organization's events the stream has not delivered yet: waiting after its position, or in flight. */
  events: number;
  /** Seconds since the bus stored the oldest of them (0 when none waits). */
  seconds: number;
}

/** A stream as the API shows it: every field but the secrets, of which only the names of those set. */
export interface StreamView {
  id: string;
  name: string;
  destination: Destination & { secretsSet: string[] };
  filter: StreamFilter;
  format: StreamFormat;
  state: { status: StreamStatus; lastError: string | null; since: string };
  replay: { from: string; untilSequence: number } | null;
  /** Unknown (null) until the stream first ran (its consumer is created then), or while the bus does not answer. */
  lag: StreamLag | null;
  createdAt: string;
  updatedAt: string;
}

/** One entry of `GET /v1/streams/:id/deliveries`, newest first. */
export interface DeliveryRecord {
  at: string;
  events: number;
  status: 'delivered' | 'failed' | 'dead_lettered';
  latencyMs: number;
  error: string | null;
  replay: boolean;
}

/** `POST /v1/streams/:id/test`: the outcome of one sample event sent now. */
export interface TestDeliveryResult {
  delivered: boolean;
  latencyMs: number;
  error: string | null;
  eventId: string;
}
