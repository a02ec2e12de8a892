import { ACTION_TYPE_GROUPS, ACTION_TYPES, parseIsoDateTime, type ActionType, type ActionTypeGroup } from '@audit/contracts';
import type { Interval, IpRange } from './ast';

/** What a value could not be: the reason a {@link SearchSyntaxError} gives for it. */
export class BadValue extends Error {}

// ---------------------------------------------------------------------------------------------- actions

const GROUPS = new Map(Object.entries(ACTION_TYPE_GROUPS).map(([name, types]) => [name.toLowerCase(), types] as const));

/**
 * `action:` values: an identifier in any case (`query_run`), a group (`queries`, see ACTION_TYPE_GROUPS),
 * or a prefix with `*`, dotted as GitHub writes them or as the identifier is spelled (`query.*`,
 * `QUERY_*`: every type whose identifier starts with `QUERY_`).
 */
export function actionTypesOf(value: string): ActionType[] {
  const upper = value.toUpperCase();
  if (value.endsWith('*')) {
    const prefix = upper.slice(0, -1).replace(/\./g, '_');
    const types = ACTION_TYPES.filter((t) => t.startsWith(prefix));
    if (types.length === 0) throw new BadValue(`no action type starts with ${prefix}`);
    return types;
  }
  const exact = ACTION_TYPES.find((t) => t === upper.replace(/\./g, '_'));
  if (exact) return [exact];
  const group = GROUPS.get(value.toLowerCase());
  if (group) return [...group];
  throw new BadValue(
    `expected an action type (e.g. QUERY_RUN), a prefix with * (e.g. query.*) or a group (${Object.keys(ACTION_TYPE_GROUPS as Record<ActionTypeGroup, unknown>).join(', ')})`,
  );
}

// ---------------------------------------------------------------------------------------------- addresses

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseV4(text: string): bigint | null {
  const m = V4.exec(text);
  if (!m) return null;
  let n = 0n;
  for (const part of m.slice(1)) {
    // A leading zero is refused: some readers take it as octal, so its meaning is not agreed.
    if ((part.length > 1 && part.startsWith('0')) || Number(part) > 255) return null;
    n = (n << 8n) | BigInt(part);
  }
  return n;
}

function parseV6(text: string): bigint | null {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseV4(piece);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(piece)) out.push(parseInt(piece, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return null;
  if (halves.length === 2 && head.length + tail.length > 7) return null;
  if (halves.length === 1 && head.length !== 8) return null;
  const all = [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  return all.reduce((n, g) => (n << 16n) | BigInt(g), 0n);
}

/** An address as the integer of its bits, with its family; null for anything else. */
export function parseIp(text: string): { version: 4 | 6; bits: bigint } | null {
  const v4 = parseV4(text);
  if (v4 !== null) return { version: 4, bits: v4 };
  const v6 = text.includes(':') ? parseV6(text) : null;
  return v6 === null ? null : { version: 6, bits: v6 };
}

function formatIp(version: 4 | 6, bits: bigint): string {
  if (version === 4) return [24n, 16n, 8n, 0n].map((s) => String((bits >> s) & 0xffn)).join('.');
  return Array.from({ length: 8 }, (_, i) => ((bits >> BigInt((7 - i) * 16)) & 0xffffn).toString(16)).join(':');
}

/** `ip:` values: an address (v4 or v6) or a CIDR block; host bits under the prefix are ignored. */
export function ipRangeOf(value: string): IpRange {
  const slash = value.indexOf('/');
  const address = slash < 0 ? value : value.slice(0, slash);
  const ip = parseIp(address);
  if (!ip) throw new BadValue('expected an IPv4 or IPv6 address or a CIDR block (e.g. 10.0.0.0/8)');
  const width = ip.version === 4 ? 32 : 128;
  let prefix = width;
  if (slash >= 0) {
    const text = value.slice(slash + 1);
    prefix = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
    if (!(prefix >= 0 && prefix <= width)) throw new BadValue(`expected a prefix length from 0 to ${width} after /`);
  }
  const hostBits = BigInt(width - prefix);
  const first = (ip.bits >> hostBits) << hostBits;
  const last = first | ((1n << hostBits) - 1n);
  return { cidr: `${formatIp(ip.version, first)}/${prefix}`, version: ip.version, first, last };
}

// ---------------------------------------------------------------------------------------------- ranges

const RELATIVE = /^-(\d{1,6})(s|m|h|d|w)$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:\d{2})?$/;
// What ClickHouse's DateTime64 holds: an instant outside it cannot be stored, so a bound there is a mistake.
const MIN_INSTANT = Date.UTC(1900, 0, 1);
const MAX_INSTANT = Date.UTC(2299, 11, 31);
const MAX_RT = 4_294_967_295;

/** The instants a `created:` value names: a day, a date-time (UTC unless it says), or `-<n><s|m|h|d|w>` before now. */
export function instantInterval(value: string, now: number): { from: number; to: number } {
  let from: number | null = null;
  let to: number | null = null;
  const relative = RELATIVE.exec(value);
  if (relative) {
    from = now - Number(relative[1]) * UNIT_MS[relative[2]];
    to = from + 1;
  } else if (DAY.test(value)) {
    from = parseIsoDateTime(`${value}T00:00:00Z`);
    to = from === null ? null : from + 86_400_000;
  } else if (DATE_TIME.test(value)) {
    from = parseIsoDateTime(/(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`);
    to = from === null ? null : from + 1;
  }
  if (from === null || to === null) {
    throw new BadValue('expected a date (2026-01-31), a date-time (2026-01-31T12:00:00Z) or a time before now (-24h, -7d; units s m h d w)');
  }
  if (from < MIN_INSTANT || from > MAX_INSTANT) throw new BadValue('dates must lie between 1900 and 2299');
  return { from, to };
}

/** The milliseconds an `rt:` value names: `250`, `250ms` or `2s`. */
export function millisInterval(value: string): { from: number; to: number } {
  const m = /^(\d{1,10})(ms|s)?$/.exec(value);
  const n = m ? Number(m[1]) * (m[2] === 's' ? 1000 : 1) : NaN;
  if (!m || n > MAX_RT) throw new BadValue(`expected a response time in milliseconds (250, 250ms or 2s; at most ${MAX_RT} ms)`);
  return { from: n, to: m[2] === 's' ? n + 1000 : n + 1 };
}

/**
 * A comparison or range of values (`>x`, `>=x`, `<x`, `<=x`, `a..b` with `*` for an open side, or `x`)
 * as one half-open interval, each value naming an interval of its own (a day, a millisecond). Refuses
 * an interval nothing can fall in.
 */
export function intervalOf(text: string, value: (v: string) => { from: number; to: number }, lowest: number): Interval {
  let interval: Interval;
  const op = /^(>=|<=|>|<)/.exec(text)?.[1];
  if (op) {
    const v = value(text.slice(op.length));
    interval = op === '>' ? { from: v.to } : op === '>=' ? { from: v.from } : op === '<' ? { to: v.from } : { to: v.to };
  } else if (text.includes('..')) {
    const [low, high, ...rest] = text.split('..');
    if (rest.length > 0) throw new BadValue('expected one .. in a range');
    if (low === '*' && high === '*') throw new BadValue('a range needs at least one bound (a..b, a..* or *..b)');
    if (low === '' || high === '') throw new BadValue('expected a value on both sides of .. (use * for an open side)');
    interval = { from: low === '*' ? undefined : value(low).from, to: high === '*' ? undefined : value(high).to };
  } else {
    interval = value(text);
  }
  if (interval.from !== undefined && interval.to !== undefined && interval.from >= interval.to) throw new BadValue('the range is empty: it ends before it starts');
  if (interval.to !== undefined && interval.to <= lowest) throw new BadValue(`the range is empty: nothing lies below ${lowest}`);
  return interval;
}

/** The interval of `created:` values. */
export const createdInterval = (text: string, now: number): Interval => intervalOf(text, (v) => instantInterval(v, now), MIN_INSTANT);

/** The interval of `rt:` values. */
export const rtInterval = (text: string): Interval => intervalOf(text, millisInterval, 0);
