import { ACTION_TYPE_GROUPS, ACTION_TYPES, isActionType, type ActionType, type ActionTypeGroup } from '@audit/contracts';

/** The five groups the console offers in its action-type filter, in display order. */
export type ConsoleGroupId = 'queries' | 'authentication' | 'usersAndGroups' | 'resources' | 'workflows';

export interface ConsoleGroup {
  id: ConsoleGroupId;
  label: string;
  types: readonly ActionType[];
}

/**
 * Where each of the contract's groups shows in the console. The contract keeps organization changes and
 * page events apart; the console folds them into the five groups administrators look for: an
 * organization update is user administration, and a page (an app) is a resource people build and view.
 * A group added to the contract fails to compile here until it is placed.
 */
const PLACEMENT: Record<ActionTypeGroup, ConsoleGroupId> = {
  queries: 'queries',
  authentication: 'authentication',
  usersAndGroups: 'usersAndGroups',
  organization: 'usersAndGroups',
  resources: 'resources',
  pages: 'resources',
  workflows: 'workflows',
};

const LABELS: Record<ConsoleGroupId, string> = {
  queries: 'Queries',
  authentication: 'Authentication',
  usersAndGroups: 'Users and groups',
  resources: 'Resources and pages',
  workflows: 'Workflows',
};

const ORDER: readonly ConsoleGroupId[] = ['queries', 'authentication', 'usersAndGroups', 'resources', 'workflows'];

/** Every action type exactly once, grouped, each group in the contract's order of ACTION_TYPES. */
export const CONSOLE_GROUPS: readonly ConsoleGroup[] = ORDER.map((id) => {
  const members = new Set<ActionType>();
  for (const [group, types] of Object.entries(ACTION_TYPE_GROUPS) as Array<[ActionTypeGroup, readonly ActionType[]]>) {
    if (PLACEMENT[group] === id) types.forEach((t) => members.add(t));
  }
  return { id, label: LABELS[id], types: ACTION_TYPES.filter((t) => members.has(t)) };
});

const GROUP_OF = new Map<ActionType, ConsoleGroupId>(CONSOLE_GROUPS.flatMap((g) => g.types.map((t) => [t, g.id] as const)));

/** The console group of an action type; unknown strings (a newer server) fall back to 'resources'. */
export function groupOf(type: string): ConsoleGroupId {
  return (isActionType(type) && GROUP_OF.get(type)) || 'resources';
}

/** What each identifier means, in the words of the audit-logs reference. */
export const ACTION_DESCRIPTIONS: Record<ActionType, string> = {
  QUERY_RUN: 'Query runs',
  QUERY_PREVIEW: 'Query previews',
  PAGE_VIEW: 'Page views',
  LOGIN: 'User logs in',
  LOGOUT: 'User logs out',
  SIGN_UP: 'User signs up',
  REDEEM_INVITE: 'User redeems an invite',
  INVITE_USER: 'User invites another user',
  RE_INVITE_USER: 'User re-sends invite',
  PLAYGROUND_QUERY_RUN: 'User runs a query in the Query Library',
  DISABLE_TWO_FACTOR_AUTH: 'User disables two-factor authentication',
  REQUEST_PASSWORD_RESET_LINK: 'User requests a password reset link',
  REQUEST_PASSWORDLESS_LOGIN: 'User requests passwordless login',
  CONFIRM_PASSWORD_RESET_LINK: 'User confirms a password reset request',
  CREATE_GROUP: 'User creates a group',
  UPDATE_GROUP: 'User updates a group',
  DELETE_GROUP: 'User deletes a group',
  ADD_USERS_TO_GROUP: 'User adds other users to a group',
  REMOVE_USERS_FROM_GROUP: 'User removes other users from a group',
  DISABLE_USER: 'User disables another user',
  ENABLE_USER: 'User enables another user',
  UPDATE_ORGANIZATION: 'User updates an organization',
  CREATE_RESOURCE: 'User creates a resource',
  UPDATE_RESOURCE: 'User updates a resource',
  DELETE_RESOURCE: 'User deletes a resource',
  PAGE_EXPORT: 'User exports a page',
  CREATE_WORKFLOW: 'User creates a workflow',
  DELETE_WORKFLOW: 'User deletes a workflow',
  RELEASE_WORKFLOW: 'User releases a workflow',
  VIEW_WORKFLOW: 'User views a workflow',
  RUN_WORKFLOW: 'User runs a workflow manually',
  RUN_WORKFLOW_BLOCK: 'User runs a workflow block manually',
  ENABLE_TRIGGER: 'User enables a workflow trigger',
  DISABLE_TRIGGER: 'User disables a workflow trigger',
};

export function describeAction(type: string): string {
  return isActionType(type) ? ACTION_DESCRIPTIONS[type] : type;
}
