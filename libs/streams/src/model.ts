import type { DestinationSecrets, Destination, StreamFilter, StreamFormat, StreamStatus } from '@audit/contracts';

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

/**
 * A stream as stored, secrets still sealed: the `streams` row as the repository selects it (its columns
 * named as here). The API's shapes (`StreamView` and the rest) are described once, in @audit/contracts.
 */
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

/** The durable consumer of a stream, and of its replay: one token each (NATS names allow no dots). */
export const streamDurable = (streamId: string): string => `stream-${streamId}`;
export const replayDurable = (replayId: string): string => `replay-${replayId}`;
/** Each stream reads only its organization's canonical events. */
export const streamFilterSubject = (organizationId: string): string => `audit.events.${organizationId}.>`;
