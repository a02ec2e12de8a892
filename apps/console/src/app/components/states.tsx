import type { ReactNode } from 'react';
import type { ApiError } from '../api';

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return <span className="spinner" role="status" aria-label={label} />;
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state">
      <svg viewBox="0 0 48 48" width="44" height="44" aria-hidden="true" focusable="false">
        <rect x="8" y="10" width="32" height="28" rx="4" fill="none" stroke="currentColor" strokeWidth="2" />
        <path d="M14 19h20M14 25h14M14 31h8" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
      </svg>
      <p className="empty-title">{title}</p>
      {children && <div className="muted">{children}</div>}
    </div>
  );
}

/** An API failure in place of the content it stopped, with what the server said and a retry. */
export function ErrorState({ error, onRetry, what }: { error: ApiError; onRetry?: () => void; what: string }) {
  const hint =
    error.status === 503
      ? 'The service is starting or one of its dependencies is down. Try again in a moment.'
      : error.status === 404
        ? 'This server does not offer it (yet).'
        : error.status === 400
          ? 'Adjust the filters and try again.'
          : null;
  return (
    <div className="error-state" role="alert">
      <p className="error-title">{what} could not be loaded</p>
      <p>{error.describe()}</p>
      {hint && <p className="muted small">{hint}</p>}
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** What the server refused in a form (its 400 names the field), announced as it appears; nothing without one. */
export function FormError({ problem, id }: { problem: string | null | undefined; id?: string }) {
  if (!problem) return null;
  return (
    <p id={id} className="form-error" role="alert">
      {problem}
    </p>
  );
}
