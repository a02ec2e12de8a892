import { ACTION_TYPES } from '@audit/contracts';
import { ACTION_COLORS, colorsFor, OTHER_COLOR } from './palette';

describe('chart colours', () => {
  it('gives every action type its own colour, whatever its rank among the keys of a chart', () => {
    expect(new Set(ACTION_TYPES.map((t) => ACTION_COLORS[t])).size).toBe(ACTION_TYPES.length);
    const busy = colorsFor(['LOGIN', 'QUERY_RUN', 'Other'], 'Other');
    const quiet = colorsFor(['QUERY_RUN', 'DELETE_GROUP', 'LOGIN'], 'Other');
    expect(busy.LOGIN).toBe(quiet.LOGIN);
    expect(busy.QUERY_RUN).toBe(quiet.QUERY_RUN);
    expect(busy.Other).toBe(OTHER_COLOR);
  });
});
