import fc from 'fast-check';
import { isUuid } from '@audit/contracts';
import { readViewId, readViewOf } from './read-view';

const WINDOW = 300_000;

describe('readViewOf', () => {
  it('records nothing for the user lookup, the export list and its polling, or a download (the exporter records those itself)', () => {
    for (const path of ['/v1/users', '/v1/exports', '/v1/exports/', '/v1/exports/0b7c/download']) expect(readViewOf(path, { q: '' }, WINDOW)).toBeNull();
  });

  it('makes the list, its next pages, its chart and its count one view; other filters another', () => {
    const filters = { from: '2026-12-01T10:00:00.000Z', to: '2026-12-02T10:00:00.000Z', actionType: ['LOGIN', 'QUERY_RUN'] };
    const list = readViewOf('/v1/events', { ...filters, limit: '50' }, WINDOW);
    const next = readViewOf('/v1/events', { ...filters, limit: '50', cursor: 'abc' }, WINDOW);
    const chart = readViewOf('/v1/analytics/timeseries', { ...filters, actionType: ['QUERY_RUN', 'LOGIN'], interval: 'hour' }, WINDOW);
    const count = readViewOf('/v1/analytics/count', filters, WINDOW);
    expect(new Set([list, next, chart, count].map((v) => v?.key)).size).toBe(1);
    expect(list?.filters).toEqual({ ...filters, limit: '50' });
    expect(readViewOf('/v1/events', { ...filters, userId: 'u-1' }, WINDOW)?.key).not.toBe(list?.key);
    expect(readViewOf('/v1/events/0b7c', {}, WINDOW)?.key).not.toBe(readViewOf('/v1/events/0b7d', {}, WINDOW)?.key);
  });

  it('is one view for instants in the same window (a sliding "last 24 hours" opened again) and two across windows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1_700_000_000_000, max: 1_900_000_000_000 }), fc.integer({ min: 0, max: WINDOW * 3 }), (t, shift) => {
        const at = (ms: number) => ({ from: new Date(ms - 86_400_000).toISOString(), to: new Date(ms).toISOString() });
        const same = Math.floor(t / WINDOW) === Math.floor((t + shift) / WINDOW);
        expect(readViewOf('/v1/events', at(t), WINDOW)?.key === readViewOf('/v1/events', at(t + shift), WINDOW)?.key).toBe(same);
      }),
    );
  });

  it("makes an event's proof part of that event's view, and the log's public keys no view at all", () => {
    const event = readViewOf('/v1/events/0193f1c2-7a4e-7c1d-9b2a-5e8f0a1b2c3d', {}, WINDOW)!;
    expect(readViewOf('/v1/events/0193f1c2-7a4e-7c1d-9b2a-5e8f0a1b2c3d/proof', {}, WINDOW)!.key).toBe(event.key);
    expect(readViewOf('/v1/events/0193f1c2-7a4e-7c1d-9b2a-5e8f0a1b2c3d/proof', { treeSize: '12' }, WINDOW)!.key).toBe(event.key);
    expect(readViewOf('/v1/log/keys', {}, WINDOW)).toBeNull();
    expect(readViewOf('/v1/log/checkpoints', {}, WINDOW)).not.toBeNull();
  });

  it('does not depend on the order of the parameters', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('userId', 'pageName', 'q', 'ipAddress', 'zz'), fc.string()), (query) => {
        const reversed = Object.fromEntries(Object.entries(query).reverse());
        expect(readViewOf('/v1/events', reversed, WINDOW)?.key).toBe(readViewOf('/v1/events', query, WINDOW)?.key);
      }),
    );
  });
});

describe('readViewId', () => {
  it('is a UUID that every replica derives alike, distinct for another organization, user, view or window', () => {
    fc.assert(
      fc.property(fc.string(), fc.option(fc.string(), { nil: null }), fc.string(), fc.integer({ min: 0, max: 2 ** 29 }), (org, user, key, index) => {
        const start = index * WINDOW;
        const id = readViewId(org, user, key, start);
        expect(isUuid(id)).toBe(true);
        expect(id[14]).toBe('7');
        expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(start);
        expect(readViewId(org, user, key, start)).toBe(id);
        expect(readViewId(`${org}x`, user, key, start)).not.toBe(id);
        expect(readViewId(org, `${user ?? ''}x`, key, start)).not.toBe(id);
        expect(readViewId(org, user, `${key}x`, start)).not.toBe(id);
        expect(readViewId(org, user, key, start + WINDOW)).not.toBe(id);
      }),
    );
  });
});
