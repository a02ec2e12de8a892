/** `2026-11-29T03:04:05.123Z` → `2026-11-29 03:04:05.123`, the DateTime64 text form (always UTC here). */
export const toClickHouseTime = (iso: string | Date): string => (typeof iso === 'string' ? iso : iso.toISOString()).replace('T', ' ').replace(/Z$/, '');

/** `2026-11-29 03:04:05.123` (DateTime64 text, UTC) → epoch milliseconds. */
export const fromClickHouseTime = (text: string): number => Date.parse(`${text.replace(' ', 'T')}Z`);
