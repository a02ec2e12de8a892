/** Series colours, chosen to stay apart for the common kinds of colour blindness; the last is "Other". */
export const SERIES_COLORS = ['#3b5bdb', '#f08c00', '#2b8a3e', '#c2255c', '#1098ad', '#7048e8', '#e8590c', '#5c940d', '#d6336c', '#8d5524'];
export const OTHER_COLOR = '#adb5bd';

export function colorsFor(keys: readonly string[], other: string): Record<string, string> {
  const colors: Record<string, string> = {};
  let i = 0;
  for (const key of keys) colors[key] = key === other ? OTHER_COLOR : SERIES_COLORS[i++ % SERIES_COLORS.length];
  return colors;
}
