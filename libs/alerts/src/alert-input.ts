import { isUuid, storedTextProblem } from '@audit/contracts';
import { AppError } from '@audit/platform';
import { parseSearch, SearchSyntaxError } from '@audit/search';
import { readCondition, type AlertCondition } from './conditions';

export interface Problem {
  path: string;
  reason: string;
}

/** What `POST`/`PUT /v1/searches` take. */
export interface SavedSearchInput {
  name: string;
  query: string;
}

/** What `POST`/`PUT /v1/alerts` take: a saved search by id or an inline query, a condition, a webhook. */
export interface AlertInput {
  name: string;
  source: { savedSearchId: string } | { query: string };
  condition: AlertCondition;
  webhookUrl: string;
  /** Absent on a replace that keeps the stored secret. */
  secret?: string;
  enabled: boolean;
}

type Raw = Record<string, unknown>;
const isObject = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);
const NAME = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/;
const NAME_REASON = 'must be 1 to 100 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit';
export const MIN_SECRET_LENGTH = 16;

const invalid = (what: string, problems: Problem[]): AppError =>
  new AppError('VALIDATION_FAILED', `invalid ${what}: ${problems.map((p) => `${p.path || 'body'} ${p.reason}`).join('; ')}`, problems);

function unknownFields(raw: Raw, allowed: readonly string[], prefix = ''): Problem[] {
  return Object.keys(raw)
    .filter((key) => !allowed.includes(key))
    .map((key) => ({ path: `${prefix}${key}`, reason: `is not a field here (allowed: ${allowed.join(', ')})` }));
}

function readName(raw: Raw, problems: Problem[]): string {
  if (typeof raw.name !== 'string' || !NAME.test(raw.name)) problems.push({ path: 'name', reason: raw.name === undefined ? 'is required' : NAME_REASON });
  return raw.name as string;
}

/**
 * A query in the search language: a syntax error is a problem naming the field, the position, the term and
 * what was expected there (the parser's message). Relative times (`created:>-24h`) are checked at `now` and
 * read again at each evaluation.
 */
function readQuery(value: unknown, path: string, problems: Problem[], now: Date): string {
  if (typeof value !== 'string' || value.trim() === '') {
    problems.push({ path, reason: value === undefined ? 'is required' : 'must be a non-empty search, e.g. action:PAGE_EXPORT' });
    return '';
  }
  try {
    parseSearch(value, now);
  } catch (error) {
    if (!(error instanceof SearchSyntaxError)) throw error;
    problems.push({ path, reason: error.message });
  }
  return value;
}

/** Reads a saved search; throws VALIDATION_FAILED naming every bad field. */
export function readSavedSearchInput(body: unknown, now = new Date()): SavedSearchInput {
  if (!isObject(body)) throw invalid('saved search', [{ path: '', reason: 'the body must be a JSON object' }]);
  const problems = unknownFields(body, ['name', 'query']);
  const name = readName(body, problems);
  const query = readQuery(body.query, 'query', problems, now);
  if (problems.length > 0) throw invalid('saved search', problems);
  return { name, query };
}

function readWebhookUrl(value: unknown, problems: Problem[]): string {
  const path = 'webhook.url';
  if (typeof value !== 'string' || value.length > 2048) {
    problems.push({ path, reason: value === undefined ? 'is required' : 'must be a URL of at most 2048 characters' });
    return '';
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push({ path, reason: 'must be a URL starting with https:// or http://' });
    return '';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') problems.push({ path, reason: 'must be a URL starting with https:// or http://' });
  else if (url.username || url.password) problems.push({ path, reason: 'must not carry credentials (the secret signs each request)' });
  return url.toString();
}

/**
 * Reads an alert; throws VALIDATION_FAILED naming every bad field. Exactly one of `savedSearchId` and
 * `query`. `creating` makes `webhook.secret` required; a replace without it keeps the stored one. Values
 * are never echoed in a reason (a secret pasted into the wrong field must not come back).
 */
export function readAlertInput(body: unknown, creating: boolean, now = new Date()): AlertInput {
  if (!isObject(body)) throw invalid('alert', [{ path: '', reason: 'the body must be a JSON object' }]);
  const problems = unknownFields(body, ['name', 'savedSearchId', 'query', 'condition', 'webhook', 'enabled']);
  const name = readName(body, problems);
  let source: AlertInput['source'] = { query: '' };
  if (body.savedSearchId !== undefined && body.query !== undefined) problems.push({ path: 'query', reason: 'cannot be combined with savedSearchId: give one or the other' });
  else if (body.savedSearchId !== undefined) {
    if (!isUuid(body.savedSearchId)) problems.push({ path: 'savedSearchId', reason: 'must be the id of a saved search (a UUID)' });
    source = { savedSearchId: body.savedSearchId as string };
  } else if (body.query !== undefined) source = { query: readQuery(body.query, 'query', problems, now) };
  else problems.push({ path: 'query', reason: 'is required unless savedSearchId names a saved search' });
  const read = readCondition(body.condition);
  problems.push(...read.problems);
  let webhookUrl = '';
  let secret: string | undefined;
  if (!isObject(body.webhook)) problems.push({ path: 'webhook', reason: body.webhook === undefined ? 'is required: {url, secret}' : 'must be an object {url, secret}' });
  else {
    problems.push(...unknownFields(body.webhook, ['url', 'secret'], 'webhook.'));
    webhookUrl = readWebhookUrl(body.webhook.url, problems);
    const raw = body.webhook.secret;
    if (raw === undefined) {
      if (creating) problems.push({ path: 'webhook.secret', reason: `is required: at least ${MIN_SECRET_LENGTH} characters` });
    } else if (typeof raw !== 'string' || raw.length < MIN_SECRET_LENGTH || raw.length > 512) {
      problems.push({ path: 'webhook.secret', reason: `must be ${MIN_SECRET_LENGTH} to 512 characters` });
    } else if (storedTextProblem(raw) !== undefined) {
      // Sealed as UTF-8, a lone surrogate became U+FFFD: firings were signed with a secret other than the one sent.
      problems.push({ path: 'webhook.secret', reason: storedTextProblem(raw) as string });
    } else secret = raw;
  }
  const enabled = body.enabled ?? true;
  if (typeof enabled !== 'boolean') problems.push({ path: 'enabled', reason: 'must be true or false' });
  if (problems.length > 0 || !read.condition) throw invalid('alert', problems);
  return { name, source, condition: read.condition, webhookUrl, ...(secret === undefined ? {} : { secret }), enabled: enabled as boolean };
}
