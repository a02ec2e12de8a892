export type Interval = 'minute' | 'hour' | 'day';
export const INTERVALS: readonly Interval[] = ['minute', 'hour', 'day'];
export type GroupBy = 'pageName' | 'queryName' | 'resourceName';
export const GROUP_BYS: readonly GroupBy[] = ['pageName', 'queryName', 'resourceName'];

/** The from..to of an analytics request. */
export type { TimeWindow as AnalyticsWindow } from '@audit/platform';
