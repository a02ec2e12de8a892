import fc from 'fast-check';
import { meets, readCondition } from './conditions';
import { ALERT_RECIPES } from './recipes';
import { parseSearch } from '@audit/search';

describe('alert conditions', () => {
  it('read back every recipe as it is written, and each recipe search parses', () => {
    for (const recipe of ALERT_RECIPES) {
      expect(readCondition(recipe.condition)).toEqual({ condition: recipe.condition, problems: [] });
      expect(() => parseSearch(recipe.search, new Date())).not.toThrow();
    }
  });

  it.each([
    [null, ['condition']],
    [{ kind: 'sum' }, ['condition.kind']],
    [{ kind: 'count', atLeast: 0, windowMinutes: 60 }, ['condition.atLeast']],
    [{ kind: 'count', atLeast: 2, windowMinutes: 60 * 24 * 8, perUser: 'yes' }, ['condition.perUser', 'condition.windowMinutes']],
    [{ kind: 'count', atLeast: 1, windowMinutes: 60, outsideHours: { fromHour: 18, toHour: 8 } }, ['condition.outsideHours.fromHour']],
    [{ kind: 'count', atLeast: 1, windowMinutes: 60, outsideHours: { fromHour: 8, toHour: 18, timeZone: 'Mars/Olympus' } }, ['condition.outsideHours.timeZone']],
    [{ kind: 'baseline', factor: 0.5, minCount: 1, extra: 1 }, ['condition.extra', 'condition.factor']],
  ])('names each wrong field of %j', (input, paths) => {
    const { condition, problems } = readCondition(input);
    expect(condition).toBeUndefined();
    expect(problems.map((p) => p.path).sort()).toEqual(paths);
  });

  it('fire a baseline only past both the factor and the minimum, and a count from its bound on', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.float({ min: 0, max: 100, noNaN: true }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 50 }), (count, baseline, factor, minCount) => {
        const fired = meets({ kind: 'baseline', factor, minCount, perUser: false }, { userId: null, count, baseline });
        expect(fired).toBe(count >= minCount && count >= factor * baseline);
        expect(meets({ kind: 'count', atLeast: minCount, windowMinutes: 60, perUser: false }, { userId: null, count })).toBe(count >= minCount);
      }),
    );
  });
});
