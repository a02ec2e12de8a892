import { isUuid, uuidv7 } from './uuid';

const V7_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** 48-bit ms timestamp from the first 12 hex digits. */
function timestampOf(id: string): number {
  return parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}

/** 12-bit rand_a (the counter) from hex digits 13-15. */
function counterOf(id: string): number {
  return parseInt(id.replace(/-/g, '').slice(13, 16), 16);
}

describe('uuidv7', () => {
  it('has canonical lower-case form, version 7 and variant 10', () => {
    const id = uuidv7();
    expect(id).toMatch(V7_SHAPE);
    const bytes = Buffer.from(id.replace(/-/g, ''), 'hex');
    expect(bytes).toHaveLength(16);
    expect(bytes[6] >> 4).toBe(0x7);
    expect(bytes[8] >> 6).toBe(0b10);
    expect(isUuid(id)).toBe(true);
  });

  it('encodes the given time as the 48-bit millisecond timestamp', () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    expect(timestampOf(uuidv7(at))).toBe(at.getTime());
  });

  it('encodes the current time by default', () => {
    const before = Date.now();
    const ts = timestampOf(uuidv7());
    const after = Date.now();
    expect(ts).toBeGreaterThanOrEqual(before);
    // +1: the counter may have rolled into the next millisecond.
    expect(ts).toBeLessThanOrEqual(after + 1);
  });

  it('encodes the epoch and the 48-bit maximum', () => {
    expect(uuidv7(new Date(0)).slice(0, 13)).toBe('00000000-0000');
    expect(uuidv7(new Date(2 ** 48 - 1)).slice(0, 13)).toBe('ffffffff-ffff');
  });

  it('encodes a much older time when asked (no clamping to the last timestamp)', () => {
    uuidv7(new Date('2030-01-01T00:00:00.000Z'));
    const old = new Date('2020-06-01T00:00:00.000Z');
    expect(timestampOf(uuidv7(old))).toBe(old.getTime());
  });

  it('produces strictly increasing ids when called repeatedly', () => {
    const ids = Array.from({ length: 2000 }, () => uuidv7());
    for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
  });

  it('is monotonic within one millisecond by incrementing the counter', () => {
    const at = new Date('2026-05-05T05:05:05.005Z');
    const a = uuidv7(at);
    const b = uuidv7(at);
    expect(timestampOf(b)).toBe(at.getTime());
    expect(counterOf(b)).toBe(counterOf(a) + 1);
    expect(b > a).toBe(true);
  });

  it('stays ordered and unique past counter overflow in one millisecond', () => {
    const at = new Date('2026-06-06T06:06:06.006Z');
    // Counter is seeded below 2048, so 5000 ids must overflow 12 bits at least once.
    const ids = Array.from({ length: 5000 }, () => uuidv7(at));
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
    expect(timestampOf(ids[0])).toBe(at.getTime());
    expect(timestampOf(ids[ids.length - 1])).toBeGreaterThan(at.getTime());
    for (const id of ids) expect(id).toMatch(V7_SHAPE);
  });

  it('stays ordered across a small clock step back', () => {
    const a = uuidv7(new Date('2026-07-07T07:07:07.500Z'));
    const b = uuidv7(new Date('2026-07-07T07:07:07.400Z'));
    expect(b > a).toBe(true);
  });

  it('differs in the random part for different milliseconds', () => {
    const a = uuidv7(new Date(1_000_000));
    const b = uuidv7(new Date(2_000_000));
    expect(a.slice(19)).not.toBe(b.slice(19));
  });

  it.each([
    ['an invalid Date', new Date(NaN)],
    ['a pre-epoch Date', new Date(-1)],
    ['a Date past 2^48 ms', new Date(2 ** 48)],
  ])('throws RangeError for %s', (_label, at) => {
    expect(() => uuidv7(at)).toThrow(RangeError);
  });
});

describe('isUuid', () => {
  it.each([
    ['v4 lower case', '3f2504e0-4f89-41d3-9a0c-0305e82c3301'],
    ['v4 upper case', '3F2504E0-4F89-41D3-9A0C-0305E82C3301'],
    ['v1', 'c232ab00-9414-11ec-b3c8-9f6bdeced846'],
    ['v7', '017f22e2-79b0-7cc3-98c4-dc0c0c07398f'],
    ['nil', '00000000-0000-0000-0000-000000000000'],
    ['max', 'ffffffff-ffff-ffff-ffff-ffffffffffff'],
  ])('accepts %s', (_label, s) => {
    expect(isUuid(s)).toBe(true);
  });

  it.each([
    ['no dashes', '3f2504e04f8941d39a0c0305e82c3301'],
    ['braces', '{3f2504e0-4f89-41d3-9a0c-0305e82c3301}'],
    ['urn prefix', 'urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3301'],
    ['non-hex digit', '3f2504e0-4f89-41d3-9a0c-0305e82c330g'],
    ['too short', '3f2504e0-4f89-41d3-9a0c-0305e82c330'],
    ['trailing newline', '3f2504e0-4f89-41d3-9a0c-0305e82c3301\n'],
    ['misplaced dash', '3f2504e04-f89-41d3-9a0c-0305e82c3301'],
    ['empty', ''],
    ['number', 42],
    ['null', null],
  ])('rejects %s', (_label, s) => {
    expect(isUuid(s)).toBe(false);
  });
});
