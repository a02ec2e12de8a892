import type { ActionType } from './action-types';

/**
 * What the read API answers (`GET /v1/events`, `/v1/users`, `/v1/analytics/...`): one definition for
 * the services that produce these bodies and the console that reads them. Times are ISO-8601 UTC.
 */

export interface EventUser {
  email: string | null;
  userName: string | null;
}

/** One row of `GET /v1/events`: everything but the (possibly large) metadata. */
export interface EventSummary {
  id: string;
  actionType: ActionType;
  userId: string | null;
  /** The actor's latest snapshot in `users` of the same organization. */
  user: EventUser | null;
  ipAddress: string | null;
  responseTimeMs: number | null;
  pageName: string | null;
  queryName: string | null;
  resourceName: string | null;
  createdAt: string;
  receivedAt: string;
}

/** `GET /v1/events/:id`: everything stored. */
export interface EventDetail extends EventSummary {
  organizationId: string;
  metadata: Record<string, unknown>;
}

/** A keyset page: `nextCursor` is absent on the last one. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** `GET /v1/users`. */
export interface UserItem {
  id: string;
  email: string | null;
  userName: string | null;
}

/** `GET /v1/analytics/timeseries`. */
export interface TimeseriesItem {
  bucket: string;
  actionType: string;
  count: number;
}

/** `GET /v1/analytics/top-users`. */
export interface TopUserItem {
  userId: string;
  email: string | null;
  userName: string | null;
  count: number;
}

/** `GET /v1/analytics/response-times`: milliseconds. */
export interface ResponseTimeItem {
  name: string;
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** `GET /v1/analytics/summary`. */
export interface Summary {
  total: number;
  distinctUsers: number;
  distinctIps: number;
  items: Array<{ actionType: string; count: number }>;
}
