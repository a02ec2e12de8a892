/** The shapes the console reads from the API (see the root README's HTTP API table). */

export interface EventUser {
  email: string | null;
  userName: string | null;
}

export interface EventSummary {
  id: string;
  actionType: string;
  userId: string | null;
  user: EventUser | null;
  ipAddress: string | null;
  responseTimeMs: number | null;
  pageName: string | null;
  queryName: string | null;
  resourceName: string | null;
  createdAt: string;
  receivedAt: string;
}

export interface EventDetail extends EventSummary {
  organizationId: string;
  metadata: Record<string, unknown> | null;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface UserSuggestion {
  id: string;
  email: string | null;
  userName: string | null;
}

export interface TimeseriesItem {
  bucket: string;
  actionType: string;
  count: number;
}

export interface TopUserItem {
  userId: string;
  email: string | null;
  userName: string | null;
  count: number;
}

export interface ResponseTimeItem {
  name: string;
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface Summary {
  total: number;
  distinctUsers: number;
  distinctIps: number;
  items: Array<{ actionType: string; count: number }>;
}

export type ExportStatus = 'pending' | 'running' | 'ready' | 'failed' | 'expired';

export interface ExportJob {
  id: string;
  status: ExportStatus;
  rowCount?: number | null;
  sizeBytes?: number | null;
  /** 0..1 while running (some servers send a percentage; see `progressFraction`). */
  progress?: number | null;
  downloadUrl?: string;
  expiresAt?: string;
  createdAt: string;
  error?: string | null;
  filters?: Record<string, unknown>;
}
