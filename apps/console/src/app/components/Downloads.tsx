import { useCallback, useEffect, useId, useState } from 'react';
import { asApiError, type ApiClient, type ApiError } from '../api';
import { exportRequest, type ConsoleFilters, type TimeWindow } from '../filters';
import { formatBytes, formatCount, localTime, utcInstant } from '../format';
import type { ExportFormat, ExportJob } from '../types';
import { usePopover } from './use-popover';
import { DownloadIcon } from './icons';

interface Props {
  api: ApiClient;
  filters: ConsoleFilters;
  window: TimeWindow;
}

const POLL_MS = 2000;
const isActive = (job: ExportJob) => job.status === 'pending' || job.status === 'running';

/** The server may send progress as a fraction or a percentage. */
function progressPercent(job: ExportJob): number | null {
  if (typeof job.progress !== 'number' || !Number.isFinite(job.progress)) return null;
  const pct = job.progress <= 1 ? job.progress * 100 : job.progress;
  return Math.max(0, Math.min(100, Math.round(pct)));
}

const FORMAT_LABEL: Record<ExportFormat, string> = { csv: 'CSV', jsonl: 'JSON lines' };

const STATUS_LABEL: Record<ExportJob['status'], string> = {
  pending: 'Queued',
  running: 'Exporting',
  ready: 'Ready',
  failed: 'Failed',
  expired: 'Expired',
};

/**
 * The Downloads entry: exports the current view as a compressed CSV (POST /v1/exports) and lists the
 * jobs (GET /v1/exports), polling while one is queued or running. Links expire; listing again renews them.
 */
export function Downloads({ api, filters, window: timeWindow }: Props) {
  const popover = usePopover();
  const [jobs, setJobs] = useState<ExportJob[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [starting, setStarting] = useState(false);
  const [format, setFormat] = useState<ExportFormat>('csv');
  const [announce, setAnnounce] = useState('');
  const panelId = useId();

  const refresh = useCallback(async () => {
    try {
      const body = await api.get<{ items: ExportJob[] }>('/v1/exports');
      setJobs(body.items);
      setError(null);
      return body.items;
    } catch (e) {
      setError(asApiError(e));
      return null;
    }
  }, [api]);

  // Opening the panel reads the list once; only a queued or running job is polled (every read of the API
  // is itself audited, so an idle open panel should not keep asking).
  useEffect(() => {
    if (popover.open) void refresh();
  }, [popover.open, refresh]);

  const activeCount = jobs?.filter(isActive).length ?? 0;
  useEffect(() => {
    if (activeCount === 0) return;
    const handle = window.setTimeout(() => void refresh(), POLL_MS);
    return () => window.clearTimeout(handle);
  }, [jobs, error, activeCount, refresh]);

  const start = async () => {
    setStarting(true);
    setError(null);
    try {
      await api.post<{ id: string; status: string }>('/v1/exports', { ...exportRequest(filters, timeWindow), format });
      setAnnounce('Export started. It will appear in the list when ready.');
      await refresh();
    } catch (e) {
      setError(asApiError(e));
    } finally {
      setStarting(false);
    }
  };

  return (
    <div className="popover-anchor">
      <button
        type="button"
        className="button ghost"
        ref={popover.buttonRef}
        aria-expanded={popover.open}
        aria-controls={panelId}
        onClick={popover.toggle}
      >
        <DownloadIcon /> Downloads
        {activeCount > 0 && <span className="count-badge" aria-label={`${activeCount} in progress`}>{activeCount}</span>}
      </button>
      {popover.open && (
        <div className="popover downloads" id={panelId} role="dialog" aria-label="Downloads" ref={popover.panelRef} onKeyDown={popover.onKeyDown}>
          <div className="popover-head">
            <div>
              <h2>Downloads</h2>
              <p className="muted small">
                The current view (date range and filters), newest first as listed, with each user's e-mail and name, gzipped. Links expire one hour after they are listed.
              </p>
            </div>
          </div>
          <div className="export-start">
            <label className="switch small">
              <span>Format</span>
              <select aria-label="Export format" value={format} onChange={(e) => setFormat(e.target.value === 'jsonl' ? 'jsonl' : 'csv')}>
                <option value="csv">CSV</option>
                <option value="jsonl">JSON lines</option>
              </select>
            </label>
            <button type="button" className="button primary wide" onClick={() => void start()} disabled={starting}>
              {starting ? 'Starting…' : 'Export current view'}
            </button>
          </div>
          <p className="sr-only" role="status">
            {announce}
          </p>
          {error && (
            <div className="inline-error" role="alert">
              <strong>{error.status === 404 ? 'Exports are not available on this server.' : 'Downloads could not be loaded.'}</strong> {error.describe()}
            </div>
          )}
          {jobs === null && !error && <p className="muted small">Loading…</p>}
          {jobs !== null && jobs.length === 0 && <p className="muted small empty-jobs">No exports yet.</p>}
          {jobs !== null && jobs.length > 0 && (
            <ul className="job-list">
              {jobs.map((job) => (
                <JobRow key={job.id} job={job} />
              ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}

/** What an export holds, from the filters the server stored with it: `Nov 28 05:19 – Nov 29 05:19 · QUERY_RUN · userId u-7`. */
function describeJobFilters(filters: Record<string, unknown> | undefined): string {
  if (!filters) return '';
  const parts: string[] = [];
  const from = typeof filters['from'] === 'string' ? localTime(filters['from']) : null;
  const to = typeof filters['to'] === 'string' ? localTime(filters['to']) : null;
  if (from || to) parts.push(`${from ?? '…'} – ${to ?? '…'}`);
  const types = filters['actionType'];
  if (Array.isArray(types) && types.length > 0) parts.push(types.length > 3 ? `${types.length} action types` : types.join(', '));
  for (const [key, value] of Object.entries(filters)) {
    if (key !== 'from' && key !== 'to' && key !== 'actionType' && typeof value === 'string') parts.push(`${key} ${value}`);
  }
  return parts.join(' · ');
}

function JobRow({ job }: { job: ExportJob }) {
  const pct = progressPercent(job);
  const scope = describeJobFilters(job.filters);
  return (
    <li className="job">
      <div className="job-main">
        <span className={`status status-${job.status}`}>{STATUS_LABEL[job.status] ?? job.status}</span>
        <time dateTime={job.createdAt} title={utcInstant(job.createdAt)}>
          {localTime(job.createdAt)}
        </time>
      </div>
      {scope && <div className="job-filters">{scope}</div>}
      <div className="job-meta muted small">
        <span>{FORMAT_LABEL[job.format ?? 'csv']}</span>
        {typeof job.rowCount === 'number' &&
          (isActive(job) && typeof job.totalRows === 'number' ? (
            <span>
              {formatCount(job.rowCount)} of {formatCount(job.totalRows)} rows so far
            </span>
          ) : (
            <span>{formatCount(job.rowCount)} rows</span>
          ))}
        {typeof job.sizeBytes === 'number' && job.sizeBytes > 0 && <span>{formatBytes(job.sizeBytes)}</span>}
        {job.status === 'ready' && job.expiresAt && <span title={utcInstant(job.expiresAt)}>link expires {localTime(job.expiresAt)}</span>}
        {job.status === 'failed' && job.error && <span className="text-danger">{job.error}</span>}
      </div>
      {job.status === 'running' && (
        <div className="progress" role="progressbar" aria-label="Export progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct ?? undefined}>
          <div className="progress-bar" style={{ width: `${pct ?? 5}%` }} />
        </div>
      )}
      {job.status === 'ready' && job.downloadUrl && (
        <a className="button small" href={job.downloadUrl} download>
          <DownloadIcon /> Download {FORMAT_LABEL[job.format ?? 'csv']}
        </a>
      )}
    </li>
  );
}
