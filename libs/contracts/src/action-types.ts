/**
 * The 34 audit action identifiers, spelled exactly as in the audit-logs
 * reference ("Identifier in logs" column) and in the reference's order.
 *
 * The spelling is load-bearing: the reference's SQL filters on these strings
 * verbatim (e.g. `where a."actionType" = 'CREATE_GROUP'`), so they must never be
 * renamed, re-cased or pluralised. New identifiers are appended, never inserted,
 * so that anything persisted by index or order stays stable.
 */
export const ACTION_TYPES = Object.freeze([
  'QUERY_RUN',
  'QUERY_PREVIEW',
  'PAGE_VIEW',
  'LOGIN',
  'LOGOUT',
  'SIGN_UP',
  'REDEEM_INVITE',
  'INVITE_USER',
  'RE_INVITE_USER',
  'PLAYGROUND_QUERY_RUN',
  'DISABLE_TWO_FACTOR_AUTH',
  'REQUEST_PASSWORD_RESET_LINK',
  'REQUEST_PASSWORDLESS_LOGIN',
  'CONFIRM_PASSWORD_RESET_LINK',
  'CREATE_GROUP',
  'UPDATE_GROUP',
  'DELETE_GROUP',
  'ADD_USERS_TO_GROUP',
  'REMOVE_USERS_FROM_GROUP',
  'DISABLE_USER',
  'ENABLE_USER',
  'UPDATE_ORGANIZATION',
  'CREATE_RESOURCE',
  'UPDATE_RESOURCE',
  'DELETE_RESOURCE',
  'PAGE_EXPORT',
  'CREATE_WORKFLOW',
  'DELETE_WORKFLOW',
  'RELEASE_WORKFLOW',
  'VIEW_WORKFLOW',
  'RUN_WORKFLOW',
  'RUN_WORKFLOW_BLOCK',
  'ENABLE_TRIGGER',
  'DISABLE_TRIGGER',
] as const);

/** One of the 34 audit action identifiers, e.g. `'QUERY_RUN'`. */
export type ActionType = (typeof ACTION_TYPES)[number];

// A Set makes the guard O(1); it runs once per ingested event.
const ACTION_TYPE_SET: ReadonlySet<string> = new Set<string>(ACTION_TYPES);

/**
 * Type guard: true when `x` is a string spelled exactly like one of
 * {@link ACTION_TYPES} (case-sensitive, no trimming).
 */
export function isActionType(x: unknown): x is ActionType {
  return typeof x === 'string' && ACTION_TYPE_SET.has(x);
}

/** Name of a UI/reporting group of action types (see {@link ACTION_TYPE_GROUPS}). */
export type ActionTypeGroup =
  | 'queries'
  | 'authentication'
  | 'usersAndGroups'
  | 'resources'
  | 'workflows'
  | 'organization'
  | 'pages';

/**
 * Partition of {@link ACTION_TYPES} into groups for filters and dashboards.
 * Every action type appears in exactly one group (a unit test enforces it), so
 * a UI that offers "filter by group" never hides or double-counts an event.
 */
export const ACTION_TYPE_GROUPS: Readonly<Record<ActionTypeGroup, readonly ActionType[]>> = Object.freeze({
  queries: Object.freeze(['QUERY_RUN', 'QUERY_PREVIEW', 'PLAYGROUND_QUERY_RUN'] as const),
  authentication: Object.freeze([
    'LOGIN',
    'LOGOUT',
    'SIGN_UP',
    'REDEEM_INVITE',
    'DISABLE_TWO_FACTOR_AUTH',
    'REQUEST_PASSWORD_RESET_LINK',
    'REQUEST_PASSWORDLESS_LOGIN',
    'CONFIRM_PASSWORD_RESET_LINK',
  ] as const),
  usersAndGroups: Object.freeze([
    'INVITE_USER',
    'RE_INVITE_USER',
    'CREATE_GROUP',
    'UPDATE_GROUP',
    'DELETE_GROUP',
    'ADD_USERS_TO_GROUP',
    'REMOVE_USERS_FROM_GROUP',
    'DISABLE_USER',
    'ENABLE_USER',
  ] as const),
  resources: Object.freeze(['CREATE_RESOURCE', 'UPDATE_RESOURCE', 'DELETE_RESOURCE'] as const),
  workflows: Object.freeze([
    'CREATE_WORKFLOW',
    'DELETE_WORKFLOW',
    'RELEASE_WORKFLOW',
    'VIEW_WORKFLOW',
    'RUN_WORKFLOW',
    'RUN_WORKFLOW_BLOCK',
    'ENABLE_TRIGGER',
    'DISABLE_TRIGGER',
  ] as const),
  organization: Object.freeze(['UPDATE_ORGANIZATION'] as const),
  pages: Object.freeze(['PAGE_VIEW', 'PAGE_EXPORT'] as const),
});
