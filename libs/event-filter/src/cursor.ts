import { isUuid } from '@audit/contracts';

/**
 * A keyset position in the newest-first order `("createdAt" DESC, id DESC)`: the last row a page
 * returned. The timestamp is Postgres' own text of the value (microseconds included), so the next
 * page resumes exactly after it whatever was inserted meanwhile.
 */
export interface Cursor {
  createdAt: string;
  id: string;
}

// Postgres' timestamptz output as the query casts it: `2026-11-29 05:00:00.123456+00`.
const PG_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00$/;

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url');
}

/** Returns null for anything {@link encodeCursor} did not produce. */
export function decodeCursor(text: string): Cursor | null {
  if (text.length > 200 || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(value) || value.length !== 2) return null;
  const [createdAt, id] = value as unknown[];
  if (typeof createdAt !== 'string' || !PG_TIMESTAMP.test(createdAt) || Number.isNaN(Date.parse(createdAt.replace(' ', 'T').replace('+00', 'Z')))) return null;
  if (!isUuid(id)) return null;
  return { createdAt, id };
}
