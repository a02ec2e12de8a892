import type { Counter, Gauge } from 'prom-client';
import { counter, gauge } from '@audit/platform';

export interface RetentionMetrics {
  rowsPurged: Counter<string>;
  runs: Counter<string>;
  lastSuccess: Gauge<string>;
}

let metrics: RetentionMetrics | undefined;

/**
 * Retention's Prometheus metrics, registered by the first caller (the runner), not on import: a process
 * that only asks this lib's rule (ingest) must not export a last success of 0, which would raise the
 * "retention has not run" alert for it.
 */
export function retentionMetrics(): RetentionMetrics {
  metrics ??= {
    rowsPurged: counter('audit_retention_rows_purged_total', 'Rows removed by retention, by store', ['store']),
    runs: counter('audit_retention_runs_total', 'Retention runs by outcome (ok, failed, skipped: another instance held the lock)', ['outcome']),
    lastSuccess: gauge('audit_retention_last_success_timestamp_seconds', 'When the last retention run without a failed step finished (Unix seconds)'),
  };
  return metrics;
}
