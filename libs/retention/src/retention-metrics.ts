import { counter, gauge } from '@audit/platform';

/** Retention's Prometheus metrics, registered once per process. */
export const retentionMetrics = {
  rowsPurged: counter('audit_retention_rows_purged_total', 'Rows removed by retention, by store', ['store']),
  runs: counter('audit_retention_runs_total', 'Retention runs by outcome (ok, failed, skipped: another instance held the lock)', ['outcome']),
  lastSuccess: gauge('audit_retention_last_success_timestamp_seconds', 'When the last retention run without a failed step finished (Unix seconds)'),
};
