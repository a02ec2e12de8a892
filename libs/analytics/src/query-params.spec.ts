import { AppError, QueryReader } from '@audit/platform';
import { GROUP_BYS, INTERVALS } from './query-params';
import { readAnalyticsConfig } from './config';

const DAY = 86_400_000;

/** Runs `read` on a fresh reader and returns what it read, or the paths of the 400 it threw. */
function read<T>(raw: Record<string, unknown>, allowed: string[], use: (q: QueryReader) => T): { value: T } | { paths: string[]; reasons: string[] } {
  const q = new QueryReader(raw, allowed);
  const value = use(q);
  try {
    q.done();
    return { value };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    expect(error.code).toBe('VALIDATION_FAILED');
    const details = error.details as Array<{ path: string; reason: string }>;
    expect(error.message).toBe(`invalid parameter(s): ${[...new Set(details.map((d) => d.path))].join(', ')}`);
    return { paths: details.map((d) => d.path), reasons: details.map((d) => d.reason) };
  }
}

describe('QueryReader (analytics query strings)', () => {
  const now = new Date('2026-11-29T03:00:00.000Z');

  it('reads a window; to defaults to now and from to one day before to', () => {
    expect(read({}, ['from', 'to'], (q) => q.window(7 * DAY, now))).toEqual({ value: { from: new Date('2026-11-28T03:00:00.000Z'), to: now } });
    expect(read({ from: '2026-11-01', to: '2026-11-02T10:00:00.5+02:00' }, ['from', 'to'], (q) => q.window(7 * DAY, now))).toEqual({
      value: { from: new Date('2026-11-01T00:00:00.000Z'), to: new Date('2026-11-02T08:00:00.500Z') },
    });
    expect(read({ to: '2026-11-02T00:00:00Z' }, ['from', 'to'], (q) => q.window(7 * DAY, now))).toEqual({
      value: { from: new Date('2026-11-01T00:00:00.000Z'), to: new Date('2026-11-02T00:00:00.000Z') },
    });
  });

  it.each([
    [{ from: '2026-11-02', to: '2026-11-01' }, ['from'], /must not be after to/],
    [{ from: '2026-11-01', to: '2026-11-08T00:00:00.001Z' }, ['from'], /at most 7 days/],
    [{ from: 'yesterday' }, ['from'], /ISO-8601/],
    // Calendar fields out of range must not roll over into the next month or day.
    [{ to: '2026-02-30T00:00:00Z' }, ['to'], /ISO-8601/],
    [{ to: '2026-11-02T24:00:00Z' }, ['to'], /ISO-8601/],
    [{ from: "2026-01-01'); DROP TABLE audit_events; --" }, ['from'], /ISO-8601/],
    [{ from: '2026-01-01T00:00:00Z{org:String}' }, ['from'], /ISO-8601/],
    [{ from: ['2026-11-01', '2026-11-02'] }, ['from'], /once/],
    [{ from: '1700000000000' }, ['from'], /ISO-8601/],
  ])('refuses the window %j', (raw, paths, reason) => {
    const result = read(raw, ['from', 'to'], (q) => q.window(7 * DAY, now));
    expect(result).toEqual({ paths, reasons: [expect.stringMatching(reason)] });
  });

  it('a window of exactly the maximum is allowed', () => {
    expect(read({ from: '2026-11-01', to: '2026-11-08' }, ['from', 'to'], (q) => q.window(7 * DAY, now))).toHaveProperty('value');
  });

  it('reads interval and groupBy from their lists only', () => {
    expect(INTERVALS).toEqual(['minute', 'hour', 'day']);
    expect(GROUP_BYS).toEqual(['pageName', 'queryName', 'resourceName']);
    expect(read({}, ['interval'], (q) => q.oneOf('interval', INTERVALS, 'hour'))).toEqual({ value: 'hour' });
    expect(read({ interval: 'day' }, ['interval'], (q) => q.oneOf('interval', INTERVALS, 'hour'))).toEqual({ value: 'day' });
    for (const bad of ['week', 'HOUR', 'hour ', "hour' OR 1=1 --", 'queryName) FROM system.tables --']) {
      expect(read({ groupBy: bad }, ['groupBy'], (q) => q.oneOf('groupBy', GROUP_BYS, 'queryName'))).toEqual({ paths: ['groupBy'], reasons: [expect.stringContaining('must be one of pageName, queryName, resourceName')] });
    }
  });

  it('reads action types, repeated or not, exactly spelled', () => {
    expect(read({}, ['actionType'], (q) => q.actionTypes())).toEqual({ value: [] });
    expect(read({ actionType: 'LOGIN' }, ['actionType'], (q) => q.actionTypes())).toEqual({ value: ['LOGIN'] });
    expect(read({ actionType: ['LOGIN', 'QUERY_RUN'] }, ['actionType'], (q) => q.actionTypes())).toEqual({ value: ['LOGIN', 'QUERY_RUN'] });
    expect(read({ actionType: ['LOGIN', 'login', "LOGIN' OR 1=1 --"] }, ['actionType'], (q) => q.actionTypes())).toEqual({
      paths: ['actionType', 'actionType'],
      reasons: [expect.stringContaining('"login"'), expect.stringContaining(`"LOGIN' OR 1=1 --"`)],
    });
  });

  it('reads limit as an integer within bounds', () => {
    expect(read({}, ['limit'], (q) => q.limit(10, 1000))).toEqual({ value: 10 });
    expect(read({ limit: '1000' }, ['limit'], (q) => q.limit(10, 1000))).toEqual({ value: 1000 });
    for (const bad of ['0', '1001', '-1', '2.5', '1e2', '1;DROP', ' 5', '0x10', '']) {
      expect(read({ limit: bad }, ['limit'], (q) => q.limit(10, 1000))).toEqual({ paths: ['limit'], reasons: ['must be an integer from 1 to 1000'] });
    }
  });

  it('names every unknown parameter, and every problem at once', () => {
    const result = read({ organizationId: 'other', 'to) OR 1=1 --': 'x', interval: 'year', from: 'x' }, ['from', 'to', 'interval'], (q) => {
      q.window(7 * DAY, now);
      q.oneOf('interval', INTERVALS, 'hour');
    });
    expect(result).toEqual({ paths: ['organizationId', 'to) OR 1=1 --', 'from', 'interval'], reasons: expect.any(Array) });
  });
});

describe('analytics configuration', () => {
  it('ANALYTICS_MAX_WINDOW defaults to 400 days and is read as a duration', () => {
    expect(readAnalyticsConfig({}).maxWindowMs).toBe(400 * DAY);
    expect(readAnalyticsConfig({ ANALYTICS_MAX_WINDOW: '3d' }).maxWindowMs).toBe(3 * DAY);
    expect(() => readAnalyticsConfig({ ANALYTICS_MAX_WINDOW: 'forever' })).toThrow(/ANALYTICS_MAX_WINDOW/);
  });

  it('reads SEARCH_MAX_ROWS and SEARCH_TIMEOUT as the events API does, and names each bad one', () => {
    expect(readAnalyticsConfig({})).toMatchObject({ searchMaxRows: 200_000_000, searchTimeoutMs: 15_000 });
    expect(readAnalyticsConfig({ SEARCH_MAX_ROWS: '1000', SEARCH_TIMEOUT: '2s' })).toMatchObject({ searchMaxRows: 1000, searchTimeoutMs: 2000 });
    expect(() => readAnalyticsConfig({ SEARCH_MAX_ROWS: '0', SEARCH_TIMEOUT: 'soon' })).toThrow(/SEARCH_MAX_ROWS[\s\S]*SEARCH_TIMEOUT/);
  });
});
