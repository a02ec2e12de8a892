import type { Interval, SearchNode } from './ast';
import { parseIp } from './values';

/**
 * An event as a search sees it: the event's fields, its query text (`metadata.query` when a string) and
 * the e-mail and name of the organization's user with its actor id (null without one).
 */
export interface SearchableEvent {
  actionType: string;
  userId: string | null;
  userEmail: string | null;
  userName: string | null;
  ipAddress: string | null;
  responseTimeMs: number | null;
  pageName: string | null;
  queryName: string | null;
  resourceName: string | null;
  queryText: string | null;
  /** Epoch milliseconds. */
  createdAt: number;
}

const within = (value: number, range: Interval): boolean =>
  (range.from === undefined || value >= range.from) && (range.to === undefined || value < range.to);

const contains = (value: string | null, lowered: string): boolean => value !== null && value.toLowerCase().includes(lowered);

/**
 * Whether one event matches: the language's meaning in memory, for the live tail and alerts (events as
 * they arrive) and as the reference both SQL compilations are tested against.
 */
export function matches(node: SearchNode, event: SearchableEvent): boolean {
  switch (node.kind) {
    case 'and':
      return node.terms.every((t) => matches(t, event));
    case 'or':
      return node.terms.some((t) => matches(t, event));
    case 'not':
      return !matches(node.term, event);
    case 'action':
      return (node.actionTypes as readonly string[]).includes(event.actionType);
    case 'user':
      return (
        (event.userId !== null && node.values.includes(event.userId)) ||
        (event.userEmail !== null && node.values.some((v) => v.toLowerCase() === event.userEmail?.toLowerCase()))
      );
    case 'userId':
      return event.userId !== null && node.values.includes(event.userId);
    case 'name': {
      const value = event[node.field];
      return value !== null && node.values.includes(value);
    }
    case 'ip': {
      const ip = event.ipAddress === null || event.ipAddress.includes('%') ? null : parseIp(event.ipAddress);
      return ip !== null && node.ranges.some((r) => r.version === ip.version && ip.bits >= r.first && ip.bits <= r.last);
    }
    case 'created':
      return within(event.createdAt, node.interval);
    case 'rt':
      return event.responseTimeMs !== null && within(event.responseTimeMs, node.interval);
    case 'text': {
      const lowered = node.text.toLowerCase();
      return [event.pageName, event.queryName, event.resourceName, event.queryText, event.userEmail, event.userName].some((v) => contains(v, lowered));
    }
  }
}
