import { ACTION_TYPES } from '@audit/contracts';

/** Hours counted as working time: [fromHour, toHour) on Monday–Friday in `timeZone` (an IANA zone). */
export interface WorkingHours {
  fromHour: number;
  toHour: number;
  timeZone: string;
}

/**
 * When an alert fires, over the events its saved search matches:
 * - `count`: at least `atLeast` in the last `windowMinutes` (only those outside `outsideHours` when given);
 * - `baseline`: in the last hour at least `factor` × the average of the same hour over the 7 days before,
 *   and at least `minCount` (so an hour that is usually empty does not fire on one event).
 * `perUser` counts each actor on its own: the alert fires for each user past the bound.
 */
export type AlertCondition =
  | { kind: 'count'; atLeast: number; windowMinutes: number; perUser: boolean; outsideHours?: WorkingHours }
  | { kind: 'baseline'; factor: number; minCount: number; perUser: boolean };

/** One group's figures in one evaluation: its count in the window and, for a baseline, the same hour's average. */
export interface GroupCount {
  /** The actor for a per-user condition; null for the whole organization (or events without an actor). */
  userId: string | null;
  count: number;
  baseline?: number;
}

/** Whether a group's figures meet the condition. */
export function meets(condition: AlertCondition, group: GroupCount): boolean {
  switch (condition.kind) {
    case 'count':
      return group.count >= condition.atLeast;
    case 'baseline':
      return group.count >= condition.minCount && group.count >= condition.factor * (group.baseline ?? 0);
  }
}

/** The window a condition reads, ending at `now`. */
export function windowOf(condition: AlertCondition, now: Date): { from: Date; to: Date } {
  const minutes = condition.kind === 'count' ? condition.windowMinutes : 60;
  return { from: new Date(now.getTime() - minutes * 60_000), to: now };
}

export interface ConditionProblem {
  path: string;
  reason: string;
}

const isZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/** Reads a condition from a request body; every wrong field is a problem naming it (`condition.<field>`). */
export function readCondition(value: unknown): { condition?: AlertCondition; problems: ConditionProblem[] } {
  const problems: ConditionProblem[] = [];
  const at = (field: string) => `condition.${field}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problems: [{ path: 'condition', reason: 'must be an object' }] };
  const v = value as Record<string, unknown>;
  const int = (field: string, min: number, max: number): number => {
    const n = v[field];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) problems.push({ path: at(field), reason: `must be an integer from ${min} to ${max}` });
    return n as number;
  };
  const perUser = v.perUser ?? false;
  if (typeof perUser !== 'boolean') problems.push({ path: at('perUser'), reason: 'must be true or false' });
  const known = v.kind === 'count' ? ['kind', 'atLeast', 'windowMinutes', 'perUser', 'outsideHours'] : ['kind', 'factor', 'minCount', 'perUser'];
  for (const key of Object.keys(v)) if (!known.includes(key)) problems.push({ path: at(key), reason: `is not a field of a ${String(v.kind)} condition` });
  if (v.kind === 'count') {
    const atLeast = int('atLeast', 1, 1_000_000_000);
    const windowMinutes = int('windowMinutes', 1, 7 * 24 * 60);
    let outsideHours: WorkingHours | undefined;
    if (v.outsideHours !== undefined) {
      const h = v.outsideHours as Record<string, unknown> | null;
      const hour = (field: string, max: number) => {
        const n = h?.[field];
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) problems.push({ path: at(`outsideHours.${field}`), reason: `must be an hour from 0 to ${max}` });
        return n as number;
      };
      const fromHour = hour('fromHour', 23);
      const toHour = hour('toHour', 24);
      const timeZone = h?.timeZone ?? 'UTC';
      if (typeof timeZone !== 'string' || !isZone(timeZone)) problems.push({ path: at('outsideHours.timeZone'), reason: 'must be an IANA time zone, e.g. Europe/Paris' });
      else if (fromHour >= toHour) problems.push({ path: at('outsideHours.fromHour'), reason: 'must be before toHour' });
      outsideHours = { fromHour, toHour, timeZone: timeZone as string };
    }
    return problems.length > 0 ? { problems } : { condition: { kind: 'count', atLeast, windowMinutes, perUser: perUser as boolean, ...(outsideHours ? { outsideHours } : {}) }, problems };
  }
  if (v.kind === 'baseline') {
    const factor = v.factor;
    if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1 || factor > 1000) problems.push({ path: at('factor'), reason: 'must be a number from 1 to 1000' });
    const minCount = int('minCount', 1, 1_000_000_000);
    return problems.length > 0 ? { problems } : { condition: { kind: 'baseline', factor: factor as number, minCount, perUser: perUser as boolean }, problems };
  }
  return { problems: [{ path: at('kind'), reason: 'must be "count" or "baseline"' }] };
}

/** Action types that change who may do what: groups, their members, and users' access. */
export const PERMISSION_CHANGES = ['CREATE_GROUP', 'UPDATE_GROUP', 'DELETE_GROUP', 'ADD_USERS_TO_GROUP', 'REMOVE_USERS_FROM_GROUP', 'DISABLE_USER', 'ENABLE_USER'] as const;
// Spelled as the contract spells them (a typo would be a search that never matches).
for (const type of PERMISSION_CHANGES) if (!(ACTION_TYPES as readonly string[]).includes(type)) throw new Error(`unknown action type ${type}`);
