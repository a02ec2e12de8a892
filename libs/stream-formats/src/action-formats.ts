import type { ActionType } from '@audit/contracts';

/** The OCSF 1.8.0 event classes the action types map onto (uid = category_uid * 1000 + the class's own uid). */
export const OCSF_CLASSES = Object.freeze({
  apiActivity: { uid: 6003, name: 'API Activity', categoryUid: 6, categoryName: 'Application Activity' },
  webResourcesActivity: { uid: 6001, name: 'Web Resources Activity', categoryUid: 6, categoryName: 'Application Activity' },
  accountChange: { uid: 3001, name: 'Account Change', categoryUid: 3, categoryName: 'Identity & Access Management' },
  authentication: { uid: 3002, name: 'Authentication', categoryUid: 3, categoryName: 'Identity & Access Management' },
  entityManagement: { uid: 3004, name: 'Entity Management', categoryUid: 3, categoryName: 'Identity & Access Management' },
  groupManagement: { uid: 3006, name: 'Group Management', categoryUid: 3, categoryName: 'Identity & Access Management' },
} as const);

export type OcsfClassKey = keyof typeof OCSF_CLASSES;

/** ECS 8.x `event.category` values used here; each `event.type` below is one ECS expects with its category. */
export type EcsCategory = 'api' | 'authentication' | 'configuration' | 'database' | 'iam' | 'web';

/** How one action type appears in each stream format. */
export interface ActionFormat {
  /** Human title: the CEF header's Name. */
  readonly title: string;
  /** CEF severity 0 (lowest) to 10; the OCSF severity is derived from it ({@link ocsfSeverityId}). */
  readonly severity: number;
  readonly ocsf: {
    readonly class: OcsfClassKey;
    /** The class's activity id; 99 (Other) where OCSF 1.8.0 has no activity for it. */
    readonly activityId: number;
    /** The class's caption of `activityId`, or this platform's label for Other (99). */
    readonly activityName: string;
  };
  readonly ecs: { readonly category: EcsCategory; readonly type: readonly string[] };
}

const f = (
  title: string,
  severity: number,
  ocsfClass: OcsfClassKey,
  activityId: number,
  activityName: string,
  category: EcsCategory,
  type: readonly string[],
): ActionFormat => Object.freeze({ title, severity, ocsf: Object.freeze({ class: ocsfClass, activityId, activityName }), ecs: Object.freeze({ category, type }) });

/**
 * The one mapping of the 34 action types onto OCSF, ECS and CEF. docs/stream-formats.md shows it as a table
 * that a test regenerates and compares, so the two cannot drift. OCSF 1.8.0 has no "Update" in Group
 * Management (it arrives after 1.8.0), so UPDATE_GROUP is Other (99), as are the query runs and workflow runs,
 * which none of its API Activity's Create/Read/Update/Delete describes.
 */
export const ACTION_FORMATS: Readonly<Record<ActionType, ActionFormat>> = Object.freeze({
  QUERY_RUN: f('Query run', 3, 'apiActivity', 99, 'Query Run', 'database', ['access']),
  QUERY_PREVIEW: f('Query preview', 3, 'apiActivity', 99, 'Query Preview', 'database', ['access']),
  PAGE_VIEW: f('Page view', 1, 'webResourcesActivity', 2, 'Read', 'web', ['access']),
  LOGIN: f('Login', 3, 'authentication', 1, 'Logon', 'authentication', ['start']),
  LOGOUT: f('Logout', 1, 'authentication', 2, 'Logoff', 'authentication', ['end']),
  SIGN_UP: f('Sign up', 5, 'accountChange', 1, 'Create', 'iam', ['user', 'creation']),
  REDEEM_INVITE: f('Redeem invite', 4, 'accountChange', 2, 'Enable', 'iam', ['user', 'change']),
  INVITE_USER: f('Invite user', 5, 'accountChange', 1, 'Create', 'iam', ['user', 'creation']),
  RE_INVITE_USER: f('Re-invite user', 4, 'accountChange', 99, 'Re-invite', 'iam', ['user', 'info']),
  PLAYGROUND_QUERY_RUN: f('Playground query run', 3, 'apiActivity', 99, 'Playground Query Run', 'database', ['access']),
  DISABLE_TWO_FACTOR_AUTH: f('Disable two-factor authentication', 8, 'accountChange', 11, 'MFA Factor Disable', 'iam', ['user', 'change']),
  REQUEST_PASSWORD_RESET_LINK: f('Request password reset link', 4, 'accountChange', 99, 'Request Password Reset', 'iam', ['user', 'info']),
  REQUEST_PASSWORDLESS_LOGIN: f('Request passwordless login', 3, 'authentication', 99, 'Request Passwordless Logon', 'authentication', ['info']),
  CONFIRM_PASSWORD_RESET_LINK: f('Confirm password reset link', 6, 'accountChange', 4, 'Password Reset', 'iam', ['user', 'change']),
  CREATE_GROUP: f('Create group', 5, 'groupManagement', 6, 'Create', 'iam', ['group', 'creation']),
  UPDATE_GROUP: f('Update group', 5, 'groupManagement', 99, 'Update', 'iam', ['group', 'change']),
  DELETE_GROUP: f('Delete group', 6, 'groupManagement', 5, 'Delete', 'iam', ['group', 'deletion']),
  ADD_USERS_TO_GROUP: f('Add users to group', 6, 'groupManagement', 3, 'Add User', 'iam', ['group', 'change']),
  REMOVE_USERS_FROM_GROUP: f('Remove users from group', 6, 'groupManagement', 4, 'Remove User', 'iam', ['group', 'change']),
  DISABLE_USER: f('Disable user', 7, 'accountChange', 5, 'Disable', 'iam', ['user', 'change']),
  ENABLE_USER: f('Enable user', 6, 'accountChange', 2, 'Enable', 'iam', ['user', 'change']),
  UPDATE_ORGANIZATION: f('Update organization', 7, 'entityManagement', 3, 'Update', 'configuration', ['change']),
  CREATE_RESOURCE: f('Create resource', 5, 'entityManagement', 1, 'Create', 'configuration', ['creation']),
  UPDATE_RESOURCE: f('Update resource', 5, 'entityManagement', 3, 'Update', 'configuration', ['change']),
  DELETE_RESOURCE: f('Delete resource', 6, 'entityManagement', 4, 'Delete', 'configuration', ['deletion']),
  PAGE_EXPORT: f('Page export', 4, 'webResourcesActivity', 7, 'Export', 'web', ['access']),
  CREATE_WORKFLOW: f('Create workflow', 4, 'entityManagement', 1, 'Create', 'configuration', ['creation']),
  DELETE_WORKFLOW: f('Delete workflow', 5, 'entityManagement', 4, 'Delete', 'configuration', ['deletion']),
  RELEASE_WORKFLOW: f('Release workflow', 5, 'entityManagement', 3, 'Update', 'configuration', ['change']),
  VIEW_WORKFLOW: f('View workflow', 1, 'entityManagement', 2, 'Read', 'configuration', ['access']),
  RUN_WORKFLOW: f('Run workflow', 3, 'apiActivity', 99, 'Run Workflow', 'api', ['start']),
  RUN_WORKFLOW_BLOCK: f('Run workflow block', 3, 'apiActivity', 99, 'Run Workflow Block', 'api', ['start']),
  ENABLE_TRIGGER: f('Enable trigger', 5, 'entityManagement', 8, 'Enable', 'configuration', ['change']),
  DISABLE_TRIGGER: f('Disable trigger', 5, 'entityManagement', 9, 'Disable', 'configuration', ['change']),
});

/** Thrown for an action type this lib has no mapping of: an event that skipped the contract's validation. */
export class UnmappedActionTypeError extends Error {
  constructor(readonly actionType: unknown) {
    super(`no stream format mapping for action type ${JSON.stringify(actionType)}; events must pass validateEvent first`);
    this.name = 'UnmappedActionTypeError';
  }
}

/** The mapping of one action type; throws {@link UnmappedActionTypeError} for anything else. */
export function actionFormat(actionType: ActionType): ActionFormat {
  const format = Object.prototype.hasOwnProperty.call(ACTION_FORMATS, actionType) ? ACTION_FORMATS[actionType] : undefined;
  if (format === undefined) throw new UnmappedActionTypeError(actionType);
  return format;
}

/** OCSF `severity_id` from the CEF severity: 0-3 Informational, 4-6 Low, 7-8 Medium, 9-10 High. */
export function ocsfSeverityId(cefSeverity: number): 1 | 2 | 3 | 4 {
  if (cefSeverity <= 3) return 1;
  if (cefSeverity <= 6) return 2;
  if (cefSeverity <= 8) return 3;
  return 4;
}

export const OCSF_SEVERITY_NAMES = Object.freeze({ 1: 'Informational', 2: 'Low', 3: 'Medium', 4: 'High' } as const);
