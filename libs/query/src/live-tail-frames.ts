import type { AuditEvent, EventSummary, EventUser } from '@audit/contracts';
import type { SearchableEvent } from '@audit/search';

/** The stream sequences of AUDIT_EVENTS are the live tail's event ids: positive integers, at most 2^53. */
const SEQUENCE = /^[1-9][0-9]{0,15}$/;

/**
 * The position a reconnecting client asks to resume after (`Last-Event-ID`, the id of the last event it
 * received), or undefined for a new tail; a string that is no id of this stream is a problem, named.
 */
export function readLastEventId(header: string | string[] | undefined): { after?: number; problem?: string } {
  if (header === undefined || header === '') return {};
  const text = Array.isArray(header) ? header[0] : header;
  if (!SEQUENCE.test(text) || !Number.isSafeInteger(Number(text))) {
    return { problem: 'must be the id of an event this stream sent (a positive integer)' };
  }
  return { after: Number(text) };
}

/** The actor as the tail shows and searches it: the event's own snapshot, else the organization's user of that id. */
export function actorOf(event: AuditEvent, stored: EventUser | null): EventUser | null {
  return event.user ? { email: event.user.email, userName: event.user.userName } : stored;
}

/** An event as the search language sees it (libs/search `matches`). */
export function searchableOf(event: AuditEvent, actor: EventUser | null): SearchableEvent {
  const query = event.metadata.query;
  return {
    actionType: event.actionType,
    userId: event.userId,
    userEmail: actor?.email ?? null,
    userName: actor?.userName ?? null,
    ipAddress: event.ipAddress,
    responseTimeMs: event.responseTimeMs,
    pageName: event.pageName,
    queryName: event.queryName,
    resourceName: event.resourceName,
    queryText: typeof query === 'string' ? query : null,
    createdAt: Date.parse(event.createdAt),
  };
}

/** The row the events list shows (`GET /v1/events` items), so the console puts a live event into its table as is. */
export function summaryOf(event: AuditEvent, actor: EventUser | null): EventSummary {
  return {
    id: event.id,
    actionType: event.actionType,
    userId: event.userId,
    user: event.userId === null ? null : actor,
    ipAddress: event.ipAddress,
    responseTimeMs: event.responseTimeMs,
    pageName: event.pageName,
    queryName: event.queryName,
    resourceName: event.resourceName,
    createdAt: event.createdAt,
    receivedAt: event.receivedAt,
  };
}

/** One Server-Sent Event: `id` the stream sequence (what `Last-Event-ID` resumes after), `data` one JSON line. */
export const eventFrame = (sequence: number, summary: EventSummary): string => `id: ${sequence}\nevent: event\ndata: ${JSON.stringify(summary)}\n\n`;

/** A comment line: ignored by EventSource, keeps proxies from closing an idle stream. */
export const heartbeatFrame = (at: Date): string => `: heartbeat ${at.toISOString()}\n\n`;
