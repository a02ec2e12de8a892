import { LIMITS, storedTextProblem } from '@audit/contracts';
import { AppError } from '@audit/platform';

type Problem = { path: string; reason: string };

// C0 and C1 controls and DEL: a name holding them cannot be shown or logged faithfully.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export const MAX_KEY_NAME_LENGTH = 200;
/** Hidden-parameter queries an organization may have: each PUT records the whole change in one event. */
export const MAX_HIDDEN_QUERIES = 200;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function objectBody(body: unknown, example: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('VALIDATION_FAILED', `the body must be a JSON object such as ${example}`, [{ path: '', reason: 'must be a JSON object' }]);
  }
  return body as Record<string, unknown>;
}

function fail(what: string, problems: Problem[]): never {
  throw new AppError('VALIDATION_FAILED', `invalid ${what}: ${problems.map((p) => p.path || 'body').join(', ')}`, problems);
}

/** Why `name` cannot label an ingest key, or undefined. */
export function keyNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'must be a string';
  if (name.trim().length === 0) return 'must not be empty';
  if (name.length > MAX_KEY_NAME_LENGTH) return `must be at most ${MAX_KEY_NAME_LENGTH} characters`;
  if (CONTROL.test(name)) return 'must not contain control characters';
  // The key's creation is recorded with its name: a lone surrogate there failed that record with a 500.
  return storedTextProblem(name);
}

/** `POST /v1/settings/keys`: `{}` or `{ "name": "ci" }` (default name `default`). */
export function readKeyCreateBody(body: unknown): { name: string } {
  const record = body === undefined || body === null ? {} : objectBody(body, '{"name": "ci"}');
  const problems: Problem[] = Object.keys(record)
    .filter((k) => k !== 'name')
    .map((k) => ({ path: k, reason: 'unknown field' }));
  const problem = 'name' in record ? keyNameProblem(record.name) : undefined;
  if (problem) problems.push({ path: 'name', reason: problem });
  if (problems.length > 0) fail('key', problems);
  return { name: 'name' in record ? (record.name as string) : 'default' };
}

/** A key id in a path: a UUID, else a 400 naming `id`. */
export function readKeyId(id: string): string {
  if (!UUID.test(id)) fail('key id', [{ path: 'id', reason: 'must be a key id (a UUID, as GET /v1/settings/keys lists it)' }]);
  return id.toLowerCase();
}

/** Why `name` cannot be a hidden-parameter query, or undefined (the event contract's queryName rule). */
export function queryNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'must be a string';
  if (name.length === 0) return 'must not be empty';
  if (name.length > LIMITS.maxNameLength) return `must be at most ${LIMITS.maxNameLength} characters, as queryName in events`;
  // Nor a NUL or a lone surrogate, as queryName in events: no event could name such a query, and the change's record failed with a 500.
  return storedTextProblem(name);
}

/** `PUT /v1/settings/hidden-parameters`: `{ "queries": ["getSecrets", …] }`, the whole list, each name once. */
export function readHiddenParametersBody(body: unknown): { queries: string[] } {
  const record = objectBody(body, '{"queries": ["getSecrets"]}');
  const problems: Problem[] = Object.keys(record)
    .filter((k) => k !== 'queries')
    .map((k) => ({ path: k, reason: 'unknown field' }));
  const queries = record.queries;
  if (!('queries' in record)) problems.push({ path: 'queries', reason: 'is required: the names of the queries whose parameters are hidden ([] for none)' });
  else if (!Array.isArray(queries)) problems.push({ path: 'queries', reason: 'must be an array of query names' });
  else {
    if (queries.length > MAX_HIDDEN_QUERIES) problems.push({ path: 'queries', reason: `must hold at most ${MAX_HIDDEN_QUERIES} names` });
    const seen = new Set<string>();
    queries.slice(0, MAX_HIDDEN_QUERIES + 1).forEach((name, i) => {
      const problem = queryNameProblem(name);
      if (problem) problems.push({ path: `queries[${i}]`, reason: problem });
      else if (seen.has(name as string)) problems.push({ path: `queries[${i}]`, reason: 'repeats an earlier name' });
      else seen.add(name as string);
    });
  }
  if (problems.length > 0) fail('hidden parameters', problems);
  return { queries: queries as string[] };
}
