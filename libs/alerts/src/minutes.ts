export const MINUTE_MS = 60_000;

/** The start of the minute holding `at` (UTC; a minute is the same everywhere). */
export const floorToMinute = (at: Date): Date => new Date(Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS);
