import { readQueryConfig } from './config';

describe('readQueryConfig: SEARCH_MARK_REUSE and SEARCH_MARK_STALE', () => {
  it('reuses a mark for a second by default, and 0 reads it for every page', () => {
    expect(readQueryConfig({}).searchMarkReuseMs).toBe(1_000);
    expect(readQueryConfig({ SEARCH_MARK_REUSE: '0ms' }).searchMarkReuseMs).toBe(0);
    expect(readQueryConfig({ SEARCH_MARK_REUSE: '250ms' }).searchMarkReuseMs).toBe(250);
  });

  it('uses a mark up to 10 s old at once by default while a fresh one is read, and 0 waits for every read past the reuse', () => {
    expect(readQueryConfig({}).searchMarkStaleMs).toBe(10_000);
    expect(readQueryConfig({ SEARCH_MARK_STALE: '0ms' }).searchMarkStaleMs).toBe(0);
    expect(readQueryConfig({ SEARCH_MARK_STALE: '60s' }).searchMarkStaleMs).toBe(60_000);
  });

  it.each([['SEARCH_MARK_REUSE'], ['SEARCH_MARK_STALE']])('refuses a bad %s naming the variable', (name) => {
    for (const value of ['90s', '2m', 'soon', '-1s']) expect(() => readQueryConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});
