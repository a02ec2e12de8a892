import { decodeCursor, encodeCursor } from './cursor';

describe('keyset cursor', () => {
  const cursor = { createdAt: '2026-11-29 05:00:00.123456+00', id: '0190f5e2-7c4a-7b3e-8d2a-1f2e3d4c5b6a' };

  it('round-trips the exact position', () => {
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
    expect(decodeCursor(encodeCursor({ ...cursor, createdAt: '2026-11-29 05:00:00+00' }))).toEqual({ ...cursor, createdAt: '2026-11-29 05:00:00+00' });
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a+b/c='],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['an object', Buffer.from(JSON.stringify({ createdAt: cursor.createdAt, id: cursor.id })).toString('base64url')],
    ['a bad id', Buffer.from(JSON.stringify([cursor.createdAt, "1' or '1'='1"])).toString('base64url')],
    ['another time zone', Buffer.from(JSON.stringify(['2026-11-29 05:00:00+02', cursor.id])).toString('base64url')],
    ['an impossible date', Buffer.from(JSON.stringify(['2026-13-45 05:00:00+00', cursor.id])).toString('base64url')],
    ['SQL in the timestamp', Buffer.from(JSON.stringify(["2026-11-29'; drop table x; --", cursor.id])).toString('base64url')],
    ['too long', 'a'.repeat(201)],
  ])('refuses %s', (_name, text) => {
    expect(decodeCursor(text)).toBeNull();
  });
});
