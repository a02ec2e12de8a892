import type { LogLevel } from '@nestjs/common';

/**
 * Environment configuration, read and validated once at boot.
 * Every problem is collected so one start-up names every bad variable at once.
 */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Source = Record<string, string | undefined>;

/** A typed reader over environment variables that records problems instead of throwing early. */
export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly source: Source = process.env) {}

  /** A raw value; empty strings count as unset. */
  raw(name: string): string | undefined {
    const value = this.source[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optional(name: string): string | undefined {
    return this.raw(name);
  }

  int(name: string, fallback: number, bounds: { min?: number; max?: number } = {}): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = bounds;
    if (!/^-?\d+$/.test(value) || parsed < min || parsed > max) {
      this.problems.push(`${name} must be an integer between ${min} and ${max} (got "${value}")`);
      return fallback;
    }
    return parsed;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name} must be true or false (got "${value}")`);
    return fallback;
  }

  url(name: string, protocols: readonly string[]): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const parses = URL.canParse(value);
    if (parses && protocols.includes(new URL(value).protocol)) return value;
    // Shown without its credentials: the problem is logged.
    const got = `"${withoutCredentials(value)}"${parses ? '' : ', which does not parse as a URL'}`;
    this.problems.push(`${name} must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')} (got ${got})`);
    return undefined;
  }

  /** A duration such as `500ms`, `30s`, `15m`, `12h`, `7d`, in milliseconds, within `bounds` when given. */
  duration(name: string, fallback: string, bounds: { min?: number; max?: number } = {}): number {
    const value = this.raw(name) ?? fallback;
    const ms = parseDuration(value);
    if (ms === undefined) {
      this.problems.push(`${name} must be a duration such as 30s, 15m, 12h or 7d (got "${value}")`);
      return parseDuration(fallback) ?? 0;
    }
    const { min = 0, max = Number.MAX_SAFE_INTEGER } = bounds;
    if (ms < min || ms > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${formatMs(min)}` : `between ${formatMs(min)} and ${formatMs(max)}`;
      this.problems.push(`${name} must be a duration ${range} (got "${value}")`);
      return parseDuration(fallback) ?? 0;
    }
    return ms;
  }

  /**
   * A duration a timer waits (an interval, a timeout): at most {@link MAX_TIMER_MS}. Node fires a longer
   * timer after 1 ms (with a TimeoutOverflowWarning), so `30d` would turn a wait into a busy loop.
   */
  timer(name: string, fallback: string, { min = 0 }: { min?: number } = {}): number {
    return this.duration(name, fallback, { min, max: MAX_TIMER_MS });
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(values as readonly string[]).includes(value)) {
      this.problems.push(`${name} must be one of ${values.join(', ')} (got "${value}")`);
      return fallback;
    }
    return value as T;
  }

  /** Records a problem found by a caller's own cross-field check. */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws a {@link ConfigError} naming every bad variable seen so far. */
  assertValid(): void {
    if (this.problems.length > 0) throw new ConfigError([...this.problems]);
  }
}

/**
 * A URL as a start-up problem may show it: its user and password (everything up to the last `@`) and its
 * query and fragment replaced, since a connection URL carries credentials (`postgres://user:password@…`,
 * `…?token=…`) and the problem goes to the logs. Written for text that may not parse as a URL at all.
 */
export function withoutCredentials(value: string): string {
  const at = value.lastIndexOf('@');
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? '';
  const rest = at === -1 ? value.slice(scheme.length) : `…@${value.slice(at + 1)}`;
  const cut = rest.search(/[?#]/);
  return scheme + (cut === -1 ? rest : `${rest.slice(0, cut)}${rest[cut]}…`);
}

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The longest delay a Node timer (setTimeout, setInterval, a socket's timeout) keeps: 2^31 − 1 ms, about 24.8 days. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A bound as people read it: `1s`, `500ms`, `2147483647ms`. */
function formatMs(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) if (ms > 0 && ms % UNITS[unit] === 0) return `${ms / UNITS[unit]}${unit}`;
  return `${ms}ms`;
}

export function parseDuration(value: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNITS[match[2]];
}

/** Nest's log levels, least severe first. */
export const LOG_LEVELS: readonly LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];

/** `LOG_LEVEL`: the least severe level a JsonLogger writes; `log` when unset or not one of {@link LOG_LEVELS}. */
export function readLogLevel(source: Source = process.env): LogLevel {
  const level = source.LOG_LEVEL as LogLevel | undefined;
  return level !== undefined && LOG_LEVELS.includes(level) ? level : 'log';
}

/** Reads a config section and fails fast with every problem named. */
export function readConfig<T>(read: (env: EnvReader) => T, source: Source = process.env): T {
  const env = new EnvReader(source);
  const config = read(env);
  env.assertValid();
  return config;
}
