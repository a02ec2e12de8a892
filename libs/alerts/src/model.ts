import type { AlertCondition, GroupCount } from './conditions';

export interface SavedSearchRecord {
  id: string;
  organizationId: string;
  name: string;
  query: string;
  createdAt: Date;
  updatedAt: Date;
}

/** An alert as stored, its secret still sealed. */
export interface AlertRecord {
  id: string;
  organizationId: string;
  name: string;
  savedSearchId: string | null;
  /** The inline query; null when the alert watches a saved search. */
  query: string | null;
  /** The query evaluated: the inline one, or the saved search's as it reads now. */
  search: string;
  condition: AlertCondition;
  webhookUrl: string;
  sealedSecret: string;
  enabled: boolean;
  /** End of the last minute evaluated: the next evaluation's window ends one minute later. */
  evaluatedUntil: Date;
  /** End of the last window that fired. */
  firedUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface FiringRecord {
  id: string;
  alertId: string;
  organizationId: string;
  alertName: string;
  search: string;
  windowFrom: Date;
  windowTo: Date;
  groups: GroupCount[];
  firedAt: Date;
  recordedAt: Date | null;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date;
  deliveredAt: Date | null;
}

export interface SavedSearchView {
  id: string;
  name: string;
  query: string;
  createdAt: string;
  updatedAt: string;
}

/** An alert as the API shows it: never its secret. */
export interface AlertView {
  id: string;
  name: string;
  savedSearchId: string | null;
  query: string;
  condition: AlertCondition;
  webhook: { url: string; secretSet: true };
  enabled: boolean;
  evaluatedUntil: string;
  createdAt: string;
  updatedAt: string;
}

export interface FiringView {
  id: string;
  alertId: string;
  alertName: string;
  search: string;
  window: { from: string; to: string };
  groups: GroupCount[];
  firedAt: string;
  recorded: boolean;
  delivery: { status: DeliveryStatus; attempts: number; lastError: string | null; nextAttemptAt: string | null; deliveredAt: string | null };
}

export const savedSearchView = (s: SavedSearchRecord): SavedSearchView => ({
  id: s.id,
  name: s.name,
  query: s.query,
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});

export const alertView = (a: AlertRecord): AlertView => ({
  id: a.id,
  name: a.name,
  savedSearchId: a.savedSearchId,
  query: a.search,
  condition: a.condition,
  webhook: { url: a.webhookUrl, secretSet: true },
  enabled: a.enabled,
  evaluatedUntil: a.evaluatedUntil.toISOString(),
  createdAt: a.createdAt.toISOString(),
  updatedAt: a.updatedAt.toISOString(),
});

export const firingView = (f: FiringRecord): FiringView => ({
  id: f.id,
  alertId: f.alertId,
  alertName: f.alertName,
  search: f.search,
  window: { from: f.windowFrom.toISOString(), to: f.windowTo.toISOString() },
  groups: f.groups,
  firedAt: f.firedAt.toISOString(),
  recorded: f.recordedAt !== null,
  delivery: {
    status: f.status,
    attempts: f.attempts,
    lastError: f.lastError,
    nextAttemptAt: f.status === 'pending' ? f.nextAttemptAt.toISOString() : null,
    deliveredAt: f.deliveredAt?.toISOString() ?? null,
  },
});
