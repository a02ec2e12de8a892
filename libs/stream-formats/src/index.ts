import type { AuditEvent } from '@audit/contracts';

/** The record formats a stream can send. */
export const STREAM_FORMATS = ['json'] as const;
export type StreamFormat = (typeof STREAM_FORMATS)[number];

/** One event as one record of `format`, without a trailing newline; every format carries the event id. */
export function formatEvent(format: StreamFormat, event: AuditEvent): string {
  switch (format) {
    case 'json':
      return JSON.stringify(event);
  }
}
