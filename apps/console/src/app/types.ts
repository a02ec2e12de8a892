/** The shapes the console reads from the API: the read API's from the contracts, the exports' here. */

export type {
  EventDetail,
  EventSummary,
  EventUser,
  Page,
  ResponseTimeItem,
  Summary,
  TimeseriesItem,
  TopUserItem,
  UserItem as UserSuggestion,
} from '@audit/contracts';

export type ExportStatus = 'pending' | 'running' | 'ready' | 'failed' | 'expired';

/** An export file: CSV with a header, or JSON lines (one event object per line). */
export type ExportFormat = 'csv' | 'jsonl';

export interface ExportJob {
  id: string;
  status: ExportStatus;
  /** Absent from servers that only wrote CSV. */
  format?: ExportFormat;
  /** Rows written so far; all of them once ready. */
  rowCount?: number | null;
  /** Rows the export will hold, once counted. */
  totalRows?: number | null;
  sizeBytes?: number | null;
  /** 0..1 while running (some servers send a percentage; see `progressFraction`). */
  progress?: number | null;
  downloadUrl?: string;
  expiresAt?: string;
  createdAt: string;
  error?: string | null;
  filters?: Record<string, unknown>;
}

/** `GET /v1/analytics/count`: a view's total; `approximate` marks a lower bound (ClickHouse stopped at its time budget). */
export interface ViewCount {
  count: number;
  approximate: boolean;
}
