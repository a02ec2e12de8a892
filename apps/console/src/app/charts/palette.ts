import { ACTION_TYPES, isActionType } from '@audit/contracts';

/** Series colours, chosen to stay apart for the common kinds of colour blindness; the last is "Other". */
export const SERIES_COLORS = ['#3b5bdb', '#f08c00', '#2b8a3e', '#c2255c', '#1098ad', '#7048e8', '#e8590c', '#5c940d', '#d6336c', '#8d5524'];
export const OTHER_COLOR = '#adb5bd';

/**
 * One colour per action type, the same in every chart and every view whatever the type's rank: the
 * contract's first ten types (queries, page views, logins: the common ones) take the ten distinct series
 * colours, the others hues spread by the golden angle so that neighbours in the contract's order differ.
 */
export const ACTION_COLORS: Readonly<Record<string, string>> = Object.fromEntries(
  ACTION_TYPES.map((type, i) => [type, i < SERIES_COLORS.length ? SERIES_COLORS[i] : `hsl(${Math.round((i * 137.508) % 360)}, 60%, 42%)`]),
);

/** The colour of each key: an action type's own, "Other" grey, any other key a series colour by its position. */
export function colorsFor(keys: readonly string[], other: string): Record<string, string> {
  const colors: Record<string, string> = {};
  let i = 0;
  for (const key of keys) colors[key] = key === other ? OTHER_COLOR : isActionType(key) ? ACTION_COLORS[key] : SERIES_COLORS[i++ % SERIES_COLORS.length];
  return colors;
}
