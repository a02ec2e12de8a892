/**
 * Why an audit operation failed.
 *
 * - `VALIDATION_FAILED`: the event(s) break the contract; fix them, retrying will not help.
 *   `details` lists the field errors (`{ path, reason, index? }[]`).
 * - `UNAUTHENTICATED` (HTTP 401): missing, unknown or revoked API key.
 * - `FORBIDDEN` (HTTP 403): the key may not write for this organization.
 * - `PAYLOAD_TOO_LARGE` (HTTP 413): the request body is over the server's limit; send fewer events per call.
 * - `UNAVAILABLE`: the bus or the ingest service could not be reached, did not acknowledge every event,
 *   or kept answering 500/502/503/504/408/429 through the transport's own retries.
 *   Retrying the same events (same ids) is safe: duplicates are dropped by event id.
 * - `REJECTED`: any other refusal by the server (unexpected status); see `status` and `details`.
 */
export type AuditClientErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAVAILABLE'
  | 'REJECTED';

/** Options of the {@link AuditClientError} constructor. */
export type AuditClientErrorOptions = {
  /** Machine-readable context: field errors, the server's `error.details`, failed ids... */
  details?: unknown;
  /** HTTP status of the (last) response, when there was one. */
  status?: number;
  /** The underlying error (network failure, NATS timeout...). */
  cause?: unknown;
};

/**
 * The only error type thrown by `AuditClient` and the transports for
 * expected failures. Branch on {@link AuditClientError.code}; only
 * `UNAVAILABLE` is worth retrying (with the same events, so the same ids).
 */
export class AuditClientError extends Error {
  override readonly name = 'AuditClientError';
  /** What went wrong; see {@link AuditClientErrorCode}. */
  readonly code: AuditClientErrorCode;
  /** Machine-readable context, e.g. the field errors of `VALIDATION_FAILED`. */
  readonly details?: unknown;
  /** HTTP status of the (last) response, for the HTTP transport. */
  readonly status?: number;

  constructor(code: AuditClientErrorCode, message: string, opts: AuditClientErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    if (opts.details !== undefined) this.details = opts.details;
    if (opts.status !== undefined) this.status = opts.status;
  }

  /** True when `err` is an {@link AuditClientError} (optionally with the given code). */
  static is(err: unknown, code?: AuditClientErrorCode): err is AuditClientError {
    return err instanceof AuditClientError && (code === undefined || err.code === code);
  }
}

/** Message of an unknown thrown value, for wrapping it. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
