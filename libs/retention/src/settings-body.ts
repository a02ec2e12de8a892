import { AppError } from '@audit/platform';

/** The largest override accepted: a hundred years. */
export const MAX_RETENTION_DAYS = 36_500;

/**
 * Reads `PUT /v1/settings/retention`'s body: exactly `{ "days": <integer 0..36500> }` or `{ "days": null }`
 * (null falls back to the global default). Every problem is named in one 400.
 */
export function readRetentionBody(body: unknown): { days: number | null } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('VALIDATION_FAILED', 'the body must be a JSON object such as {"days": 90}', [{ path: '', reason: 'must be a JSON object' }]);
  }
  const problems: Array<{ path: string; reason: string }> = [];
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) if (key !== 'days') problems.push({ path: key, reason: 'unknown field' });
  const days = record['days'];
  if (!('days' in record)) problems.push({ path: 'days', reason: 'is required (an integer >= 0, or null for the default)' });
  else if (days !== null && (typeof days !== 'number' || !Number.isInteger(days) || days < 0 || days > MAX_RETENTION_DAYS)) {
    problems.push({ path: 'days', reason: `must be an integer from 0 (keep forever) to ${MAX_RETENTION_DAYS}, or null for the default` });
  }
  if (problems.length > 0) throw new AppError('VALIDATION_FAILED', `invalid retention settings: ${problems.map((p) => p.path || 'body').join(', ')}`, problems);
  return { days: days as number | null };
}
