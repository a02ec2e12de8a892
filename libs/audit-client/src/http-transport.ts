import { AuditClientError, describeError, type AuditClientErrorCode } from './errors';
import type { AuditEventWithId, AuditTransport } from './transport';

/** Options of {@link HttpTransport}. */
export type HttpTransportOptions = {
  /** Where the ingest service is, e.g. `https://audit.example.com` (`/v1/events` is appended). */
  baseUrl: string;
  /** Ingest API key of the organization (sent as `Authorization: Bearer <apiKey>`). */
  apiKey: string;
  /** Per-attempt timeout in ms, response body included (default 10000). */
  timeoutMs?: number;
  /** `fetch` implementation (default: the global one). */
  fetch?: typeof fetch;
  /** How many times to resend after a 500/502/503/504/408/429 or a network error (default 3). */
  retries?: number;
  /** First backoff delay in ms, doubled on each retry with jitter, capped at 5 s (default 200). */
  retryDelayMs?: number;
};

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_RETRIES = 3;
const DEFAULT_RETRY_DELAY_MS = 200;
const MAX_RETRY_DELAY_MS = 5_000;
/** Upper bound on a server's `Retry-After`, so one answer cannot stall an emitter for long. */
const MAX_RETRY_AFTER_MS = 30_000;

/**
 * Statuses that mean "not now": resending the very same body (same ids, so nothing can be stored twice)
 * later may succeed. 408, 429, 502, 503 and 504 say so themselves. 500 too: ingest answers every verdict
 * on an event (invalid, unknown key, wrong organization, too large, wrong type) with a 4xx, so a 500 is
 * never a judgement of the events but a fault of that moment (a dependency failing in a way the server did
 * not classify) — refusing it for good is what lost events to emitters. A 500 that persists still ends
 * in `UNAVAILABLE` after the retries. 501 and 505 are permanent and not retried.
 */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** Whether an HTTP answer is worth resending unchanged; 2xx never is (it succeeded). */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}
/** Statuses with a code of their own; any other non-2xx is `REJECTED`. */
const STATUS_CODES: ReadonlyMap<number, AuditClientErrorCode> = new Map([
  [400, 'VALIDATION_FAILED'],
  [401, 'UNAUTHENTICATED'],
  [403, 'FORBIDDEN'],
  [413, 'PAYLOAD_TOO_LARGE'],
]);

/** The ingest service's error body. */
type ServerErrorBody = { error?: { code?: unknown; message?: unknown; details?: unknown } };

/**
 * Sends events to the ingest service over HTTP: `POST {baseUrl}/v1/events`
 * with the events as a JSON array and the ingest API key as bearer token.
 *
 * 202 resolves. 400 → `VALIDATION_FAILED` (details: the server's
 * `error.details`, every invalid item; none was accepted), 401 →
 * `UNAUTHENTICATED`, 403 → `FORBIDDEN`, 413 → `PAYLOAD_TOO_LARGE`.
 * 500/502/503/504/408/429 and network errors or timeouts are retried with exponential
 * backoff (the body, hence the ids, is identical, so a request that did land
 * is not duplicated), then → `UNAVAILABLE`. Anything else → `REJECTED`.
 *
 * ```ts
 * const transport = new HttpTransport({ baseUrl: 'https://audit.example.com', apiKey: process.env.AUDIT_API_KEY! });
 * ```
 */
export class HttpTransport implements AuditTransport {
  private readonly url: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private closed = false;

  /** @throws TypeError on an invalid `baseUrl`, an empty `apiKey` or a negative number option. */
  constructor(opts: HttpTransportOptions) {
    let base: URL;
    try {
      base = new URL(opts.baseUrl);
    } catch {
      throw new TypeError(`HttpTransport: baseUrl must be an absolute http(s) URL (got ${String(opts.baseUrl)})`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new TypeError(`HttpTransport: baseUrl must be http(s) (got ${opts.baseUrl})`);
    }
    if (typeof opts.apiKey !== 'string' || opts.apiKey.trim() === '') {
      throw new TypeError('HttpTransport: apiKey must be a non-empty string');
    }
    this.url = `${opts.baseUrl.replace(/\/+$/, '')}/v1/events`;
    this.authorization = `Bearer ${opts.apiKey}`;
    this.timeoutMs = nonNegative(opts.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs');
    this.retries = nonNegative(opts.retries, DEFAULT_RETRIES, 'retries');
    this.retryDelayMs = nonNegative(opts.retryDelayMs, DEFAULT_RETRY_DELAY_MS, 'retryDelayMs');
    this.fetchImpl = opts.fetch ?? globalThis.fetch;
  }

  /**
   * Posts the events as one request (the client never passes more than 1000).
   * @throws AuditClientError as described on the class.
   */
  async send(events: AuditEventWithId[]): Promise<void> {
    if (this.closed) throw new AuditClientError('UNAVAILABLE', 'the HTTP transport is closed');
    if (events.length === 0) return;
    const body = JSON.stringify(events);

    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(body);
      if (outcome === 'ok') return;
      if (!outcome.retryable) throw outcome.error;
      if (attempt >= this.retries || this.closed) {
        throw new AuditClientError(
          'UNAVAILABLE',
          `${outcome.error.message} (gave up after ${attempt + 1} attempts; resending the same events is safe)`,
          { details: outcome.error.details, status: outcome.error.status, cause: outcome.error.cause ?? outcome.error },
        );
      }
      await sleep(outcome.retryAfterMs ?? this.backoff(attempt));
    }
  }

  /** Nothing to release (fetch pools sockets globally); later sends fail with `UNAVAILABLE`. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private async attempt(
    body: string,
  ): Promise<'ok' | { retryable: boolean; error: AuditClientError; retryAfterMs?: number }> {
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await this.fetchImpl(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: this.authorization },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await res.text(); // always consume, so the socket returns to the pool
    } catch (err) {
      const reason = isTimeout(err) ? `no answer within ${this.timeoutMs} ms` : describeError(err);
      return {
        retryable: true,
        error: new AuditClientError('UNAVAILABLE', `cannot reach audit ingest at ${this.url}: ${reason}`, { cause: err }),
      };
    }
    if (status >= 200 && status < 300) return 'ok';

    const serverError = parseErrorBody(text);
    const message = `audit ingest answered ${status}${serverError?.message ? `: ${serverError.message}` : ''}`;
    if (isRetryableStatus(status)) {
      return {
        retryable: true,
        retryAfterMs: parseRetryAfter(retryAfter),
        error: new AuditClientError('UNAVAILABLE', message, { status, details: serverError?.details ?? serverError }),
      };
    }
    const code = STATUS_CODES.get(status) ?? 'REJECTED';
    const details = code === 'REJECTED' ? (serverError ?? (text.length > 0 ? text.slice(0, 1000) : undefined)) : serverError?.details;
    return { retryable: false, error: new AuditClientError(code, message, { status, details }) };
  }

  /** Exponential backoff with jitter: between half and all of base * 2^attempt, capped. */
  private backoff(attempt: number): number {
    const ceiling = Math.min(MAX_RETRY_DELAY_MS, this.retryDelayMs * 2 ** attempt);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`HttpTransport: ${name} must be a number >= 0 (got ${value})`);
  return value;
}

/** `{ error: { code, message, details } }`, or undefined when the body is something else. */
function parseErrorBody(text: string): { code?: unknown; message?: string; details?: unknown } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const error = (parsed as ServerErrorBody | null)?.error;
  if (typeof error !== 'object' || error === null) return undefined;
  return {
    code: error.code,
    message: typeof error.message === 'string' ? error.message : undefined,
    details: error.details,
  };
}

/** Retry-After in delta-seconds (HTTP-dates are ignored), capped. */
function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Math.min(Number(value.trim()) * 1000, MAX_RETRY_AFTER_MS);
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === 'TimeoutError' || (err.cause instanceof Error && err.cause.name === 'TimeoutError'));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
