import { InvalidArgumentError, Option } from 'commander';
import { LIMITS } from '@audit/contracts';
import { parseDuration } from '@audit/platform';

/**
 * Option values checked while argv is parsed, so a wrong one is refused (exit 2, the option named by
 * commander: `option '--days <n>' argument '-5' is invalid. …`) before any server is started or touched.
 * An option that takes a value takes the next argument whatever it looks like, so `--days -5` reaches
 * its parser as "-5" instead of being read as an unknown option.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseOrganizationId(value: string): string {
  if (!LIMITS.organizationIdPattern.test(value)) {
    throw new InvalidArgumentError(`An organization id is 1 to 64 letters, digits, "_" or "-" (${LIMITS.organizationIdPattern.source}).`);
  }
  return value;
}

export function parseUuid(value: string): string {
  if (!UUID.test(value)) throw new InvalidArgumentError('Expected an id as "keys list" prints it (a UUID).');
  return value.toLowerCase();
}

/** A whole number written in decimal, within [min, max]; "1e3", "0x10", "1.5" and " 7" are refused. */
export function integerParser(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
    return n;
  };
}

/**
 * A duration such as `30s`, up to `maxDays` days when given: a refusal past it says so, rather than letting
 * the value reach a check downstream that names some other field (a `--span` of 99999d was refused as a
 * `createdAt` before 1970).
 */
export function durationParser({ maxDays }: { maxDays?: number } = {}): (value: string) => number {
  return (value) => {
    const ms = parseDuration(value);
    if (ms === undefined) throw new InvalidArgumentError('Expected a duration such as 30s, 15m, 24h or 7d.');
    if (maxDays !== undefined && ms > maxDays * 86_400_000) throw new InvalidArgumentError(`Expected a duration of at most ${maxDays}d.`);
    return ms;
  };
}

/** The longest look back in time a CLI option takes: 10000 days (27 years) stays after 1970, the earliest createdAt. */
export const MAX_LOOKBACK_DAYS = 10_000;

export function parseDate(value: string): Date {
  const date = /^\d{4}-\d\d-\d\d/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('Expected an ISO-8601 date such as 2026-11-27 or 2026-11-27T10:00:00Z.');
  return date;
}

export function nonEmpty(maxLength: number): (value: string) => string {
  return (value) => {
    if (value.trim().length === 0 || value.length > maxLength) throw new InvalidArgumentError(`Expected 1 to ${maxLength} characters.`);
    return value;
  };
}

/** `--org <org>`, checked against the event contract's organization id. */
export const orgOption = (description = 'organization id'): Option => new Option('--org <org>', description).argParser(parseOrganizationId);
