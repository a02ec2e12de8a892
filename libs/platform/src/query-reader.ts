import { ACTION_TYPES, isActionType, parseIsoDateTime, storedTextProblem, type ActionType } from '@audit/contracts';
import { AppError } from './errors';

export interface TimeWindow {
  from: Date;
  to: Date;
}

type Raw = Record<string, unknown>;

/**
 * The instants a query may name: years 0000 to 9999 in UTC. A zone offset can carry a date the parser accepts
 * past either end (`0000-01-01T00:00+01:00` is in year -1), and ClickHouse refuses to read a query parameter
 * written with a signed or five-digit year, which failed the analytics with a 500.
 */
const EARLIEST_INSTANT_MS = -62_167_219_200_000; // 0000-01-01T00:00:00.000Z
const LATEST_INSTANT_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
type Problem = { path: string; reason: string };

/**
 * Reads an analytics query string strictly: unknown parameters, bad dates, a reversed or too wide
 * window, an unknown interval or action type are each reported by name, all at once.
 */
export class QueryReader {
  private readonly problems: Problem[] = [];

  constructor(
    private readonly raw: Raw,
    allowed: readonly string[],
  ) {
    for (const key of Object.keys(raw)) {
      if (!allowed.includes(key)) this.problems.push({ path: key, reason: `is not a parameter of this endpoint (allowed: ${allowed.join(', ')})` });
    }
  }

  private single(name: string): string | undefined {
    const value = this.raw[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      this.problems.push({ path: name, reason: 'must be given once' });
      return undefined;
    }
    return value;
  }

  /** A bounded window: `to` defaults to now, `from` to a day before `to` (or year 0000's first instant, if later). */
  window(maxWindowMs: number, now = new Date()): TimeWindow {
    const to = this.date('to') ?? now;
    const from = this.date('from') ?? new Date(Math.max(to.getTime() - 86_400_000, EARLIEST_INSTANT_MS));
    if (from.getTime() > to.getTime()) this.problems.push({ path: 'from', reason: 'must not be after to' });
    else if (to.getTime() - from.getTime() > maxWindowMs) {
      this.problems.push({ path: 'from', reason: `the window from..to must be at most ${describeSpan(maxWindowMs)}` });
    }
    return { from, to };
  }

  /** Optional bounds: either side may be absent, `from` must not be after `to`. */
  bounds(): Partial<TimeWindow> {
    const from = this.date('from');
    const to = this.date('to');
    if (from && to && from.getTime() > to.getTime()) this.problems.push({ path: 'from', reason: 'must not be after to' });
    return { from, to };
  }

  /** An optional string given at most once, non-empty and at most `maxLength` characters. */
  text(name: string, maxLength = 1024): string | undefined {
    const value = this.single(name);
    if (value === undefined) return undefined;
    if (value.length === 0 || value.length > maxLength) {
      this.problems.push({ path: name, reason: `must be 1 to ${maxLength} characters` });
      return undefined;
    }
    if (value.includes('\u0000')) {
      this.problems.push({ path: name, reason: 'must not contain NUL characters' });
      return undefined;
    }
    // A JSON body (an export's filters) can carry a lone surrogate, which no event holds and the export's record cannot.
    const unstorable = storedTextProblem(value);
    if (unstorable !== undefined) {
      this.problems.push({ path: name, reason: unstorable });
      return undefined;
    }
    return value;
  }

  /** Records a problem found by the caller's own reading, reported with the others by `done()`. */
  problem(path: string, reason: string): void {
    this.problems.push({ path, reason });
  }

  private date(name: string): Date | undefined {
    const value = this.single(name);
    if (value === undefined) return undefined;
    // A date alone means its midnight UTC; impossible calendar values (Feb 30, hour 24) are refused, not rolled over.
    const ms = parseIsoDateTime(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
    const parsed = new Date(ms ?? NaN);
    if (ms === null) {
      this.problems.push({ path: name, reason: `must be an ISO-8601 date or date-time (got "${value.slice(0, 64)}")` });
      return undefined;
    }
    if (ms < EARLIEST_INSTANT_MS || ms > LATEST_INSTANT_MS) {
      this.problems.push({ path: name, reason: `must be an instant from 0000-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z (got "${value.slice(0, 64)}")` });
      return undefined;
    }
    return parsed;
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const value = this.single(name);
    if (value === undefined) return fallback;
    if (!(values as readonly string[]).includes(value)) {
      this.problems.push({ path: name, reason: `must be one of ${values.join(', ')} (got "${value.slice(0, 64)}")` });
      return fallback;
    }
    return value as T;
  }

  actionTypes(name = 'actionType'): ActionType[] {
    const value = this.raw[name];
    if (value === undefined) return [];
    const list = Array.isArray(value) ? value : [value];
    const types: ActionType[] = [];
    for (const item of list) {
      if (typeof item === 'string' && isActionType(item)) types.push(item);
      else this.problems.push({ path: name, reason: `must be one of the ${ACTION_TYPES.length} action types (got "${String(item).slice(0, 64)}")` });
    }
    return types;
  }

  limit(fallback: number, max: number, name = 'limit'): number {
    const value = this.single(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > max) {
      this.problems.push({ path: name, reason: `must be an integer from 1 to ${max}` });
      return fallback;
    }
    return n;
  }

  /** Throws one 400 naming every bad parameter. */
  done(): void {
    if (this.problems.length > 0) {
      throw new AppError('VALIDATION_FAILED', `invalid parameter(s): ${[...new Set(this.problems.map((p) => p.path))].join(', ')}`, this.problems);
    }
  }
}

function describeSpan(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} days`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hours`;
  return `${Math.round(ms / 1000)} seconds`;
}
