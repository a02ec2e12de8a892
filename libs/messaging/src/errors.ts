/**
 * How a consumer failure is treated. Handlers throw these (or let driver errors through, which
 * {@link classifyError} sorts) and the consumer base class maps them to ack actions.
 */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** A message that can never succeed (bad payload, rejected by a constraint): dead-lettered, never retried. */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentError';
  }
}

/**
 * `transient`: a dependency is down; retry with backoff for as long as it takes.
 * `permanent`: poison; dead-letter at once.
 * `unknown`: retry with backoff, dead-letter after the configured number of deliveries.
 */
export type FailureKind = 'transient' | 'permanent' | 'unknown';

export function classifyError(error: unknown): FailureKind {
  if (error instanceof TransientError) return 'transient';
  if (error instanceof PermanentError) return 'permanent';
  return 'unknown';
}
