/** Parses a token lifetime such as `90s`, `15m`, `1h`, `7d` into seconds. */
export function parseTtlSeconds(value: string): number {
  const match = /^(\d+)\s*([smhd])$/.exec(value.trim());
  if (!match || Number(match[1]) <= 0) throw new Error(`invalid --ttl "${value}": use a number with s, m, h or d (e.g. 1h)`);
  return Number(match[1]) * { s: 1, m: 60, h: 3_600, d: 86_400 }[match[2] as 's' | 'm' | 'h' | 'd'];
}
