import type { ActionType } from '@audit/contracts';
import type { StreamFormat } from '@audit/stream-formats';

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

/** What an administrator sends to create or replace a stream (validated by `parseStreamInput`). */
export interface StreamInput {
  name: string;
  destination: Destination;
  /** Only the secrets given; on a replace, the absent ones keep their stored value. */
  secrets: DestinationSecrets;
  filter: StreamFilter;
  format: StreamFormat;
  paused: boolean;
}

/** A stream as stored, secrets still sealed. */
export interface StreamRecord {
  id: string;
  organizationId: string;
  name: string;
  destination: Destination;
  sealedSecrets: string | null;
  filter: StreamFilter;
  format: StreamFormat;
  status: StreamStatus;
  lastError: string | null;
  statusChangedAt: Date;
  replayId: string | null;
  replayFrom: Date | null;
  replayUntilSeq: number | null;
  createdAt: Date;
  updatedAt: Date;
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
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryRecord {
  at: string;
  events: number;
  status: 'delivered' | 'failed' | 'dead_lettered';
  latencyMs: number;
  error: string | null;
  replay: boolean;
}

/** The durable consumer of a stream, and of its replay: one token each (NATS names allow no dots). */
export const streamDurable = (streamId: string): string => `stream-${streamId}`;
export const replayDurable = (replayId: string): string => `replay-${replayId}`;
/** Each stream reads only its organization's canonical events. */
export const streamFilterSubject = (organizationId: string): string => `audit.events.${organizationId}.>`;
