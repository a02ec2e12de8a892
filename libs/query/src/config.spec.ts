import { readQueryConfig } from './config';

describe('readQueryConfig: SEARCH_MARK_REUSE', () => {
  it('reuses a mark for a second by default, and 0 reads it for every page', () => {
    expect(readQueryConfig({}).searchMarkReuseMs).toBe(1_000);
    expect(readQueryConfig({ SEARCH_MARK_REUSE: '0ms' }).searchMarkReuseMs).toBe(0);
    expect(readQueryConfig({ SEARCH_MARK_REUSE: '250ms' }).searchMarkReuseMs).toBe(250);
  });

  it.each([['90s'], ['2m'], ['soon'], ['-1s']])('refuses %j naming the variable', (value) => {
    expect(() => readQueryConfig({ SEARCH_MARK_REUSE: value })).toThrow(/SEARCH_MARK_REUSE/);
  });
});
