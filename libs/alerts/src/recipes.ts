import type { AlertCondition } from './conditions';
import { PERMISSION_CHANGES } from './conditions';

/** A detection shipped as an example: a saved search (the query language) and the condition that fires it. */
export interface AlertRecipe {
  name: string;
  description: string;
  search: string;
  condition: AlertCondition;
}

/**
 * Three detections to start from. The contract has no failed-login action type, so the "burst" recipe
 * watches the recovery requests that follow failed logins (password reset links, passwordless logins).
 */
export const ALERT_RECIPES: readonly AlertRecipe[] = [
  {
    name: 'bulk-export',
    description: 'One user exporting more than 5 times in an hour',
    search: 'action:PAGE_EXPORT',
    condition: { kind: 'count', atLeast: 6, windowMinutes: 60, perUser: true },
  },
  {
    name: 'login-recovery-burst',
    description: 'Password reset and passwordless login requests at 5 × the same hour of the past week (at least 20)',
    search: 'action:REQUEST_PASSWORD_RESET_LINK,REQUEST_PASSWORDLESS_LOGIN',
    condition: { kind: 'baseline', factor: 5, minCount: 20, perUser: false },
  },
  {
    name: 'off-hours-permission-change',
    description: 'A group or user access change outside 08:00–18:00 Monday to Friday (UTC)',
    search: `action:${PERMISSION_CHANGES.join(',')}`,
    condition: { kind: 'count', atLeast: 1, windowMinutes: 60, perUser: false, outsideHours: { fromHour: 8, toHour: 18, timeZone: 'UTC' } },
  },
];
