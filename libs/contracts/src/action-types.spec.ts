import { ACTION_TYPES, ACTION_TYPE_GROUPS, isActionType, type ActionType } from './action-types';

// Copied verbatim, in order, from the "Identifier in logs" column of
// /work/shared/reference/audit-logs-reference.txt.
const REFERENCE = [
  'QUERY_RUN', 'QUERY_PREVIEW', 'PAGE_VIEW', 'LOGIN', 'LOGOUT', 'SIGN_UP', 'REDEEM_INVITE', 'INVITE_USER',
  'RE_INVITE_USER', 'PLAYGROUND_QUERY_RUN', 'DISABLE_TWO_FACTOR_AUTH', 'REQUEST_PASSWORD_RESET_LINK',
  'REQUEST_PASSWORDLESS_LOGIN', 'CONFIRM_PASSWORD_RESET_LINK', 'CREATE_GROUP', 'UPDATE_GROUP', 'DELETE_GROUP',
  'ADD_USERS_TO_GROUP', 'REMOVE_USERS_FROM_GROUP', 'DISABLE_USER', 'ENABLE_USER', 'UPDATE_ORGANIZATION',
  'CREATE_RESOURCE', 'UPDATE_RESOURCE', 'DELETE_RESOURCE', 'PAGE_EXPORT', 'CREATE_WORKFLOW', 'DELETE_WORKFLOW',
  'RELEASE_WORKFLOW', 'VIEW_WORKFLOW', 'RUN_WORKFLOW', 'RUN_WORKFLOW_BLOCK', 'ENABLE_TRIGGER', 'DISABLE_TRIGGER',
];

describe('ACTION_TYPES', () => {
  it('is exactly the 34 reference identifiers in reference order', () => {
    expect(ACTION_TYPES).toHaveLength(34);
    expect([...ACTION_TYPES]).toEqual(REFERENCE);
  });

  it('is frozen so no consumer can add or reorder types at runtime', () => {
    expect(Object.isFrozen(ACTION_TYPES)).toBe(true);
  });
});

describe('isActionType', () => {
  it.each(REFERENCE)('accepts %s', (type) => {
    expect(isActionType(type)).toBe(true);
  });

  it.each([
    ['plural typo', 'QUERY_RUNS'],
    ['lower case', 'query_run'],
    ['surrounding space', ' QUERY_RUN'],
    ['empty string', ''],
    ['number', 1],
    ['null', null],
    ['undefined', undefined],
    ['array of a valid type', ['QUERY_RUN']],
    ['Object.prototype key', 'toString'],
  ])('rejects %s', (_label, value) => {
    expect(isActionType(value)).toBe(false);
  });
});

describe('ACTION_TYPE_GROUPS', () => {
  const groups = Object.entries(ACTION_TYPE_GROUPS) as Array<[string, readonly ActionType[]]>;
  const all = groups.flatMap(([, types]) => types);

  it('has exactly the seven named groups', () => {
    expect(Object.keys(ACTION_TYPE_GROUPS).sort()).toEqual(
      ['authentication', 'organization', 'pages', 'queries', 'resources', 'usersAndGroups', 'workflows'],
    );
  });

  it('covers every action type exactly once', () => {
    expect(all).toHaveLength(ACTION_TYPES.length);
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual([...ACTION_TYPES].sort());
  });

  it('puts each type in its documented group', () => {
    expect(ACTION_TYPE_GROUPS.queries).toEqual(['QUERY_RUN', 'QUERY_PREVIEW', 'PLAYGROUND_QUERY_RUN']);
    expect(ACTION_TYPE_GROUPS.authentication).toEqual([
      'LOGIN', 'LOGOUT', 'SIGN_UP', 'REDEEM_INVITE', 'DISABLE_TWO_FACTOR_AUTH', 'REQUEST_PASSWORD_RESET_LINK',
      'REQUEST_PASSWORDLESS_LOGIN', 'CONFIRM_PASSWORD_RESET_LINK',
    ]);
    expect(ACTION_TYPE_GROUPS.usersAndGroups).toEqual([
      'INVITE_USER', 'RE_INVITE_USER', 'CREATE_GROUP', 'UPDATE_GROUP', 'DELETE_GROUP', 'ADD_USERS_TO_GROUP',
      'REMOVE_USERS_FROM_GROUP', 'DISABLE_USER', 'ENABLE_USER',
    ]);
    expect(ACTION_TYPE_GROUPS.organization).toEqual(['UPDATE_ORGANIZATION']);
    expect(ACTION_TYPE_GROUPS.resources).toEqual(['CREATE_RESOURCE', 'UPDATE_RESOURCE', 'DELETE_RESOURCE']);
    expect(ACTION_TYPE_GROUPS.pages).toEqual(['PAGE_VIEW', 'PAGE_EXPORT']);
    expect(ACTION_TYPE_GROUPS.workflows).toEqual([
      'CREATE_WORKFLOW', 'DELETE_WORKFLOW', 'RELEASE_WORKFLOW', 'VIEW_WORKFLOW', 'RUN_WORKFLOW',
      'RUN_WORKFLOW_BLOCK', 'ENABLE_TRIGGER', 'DISABLE_TRIGGER',
    ]);
  });

  it('is frozen, groups included', () => {
    expect(Object.isFrozen(ACTION_TYPE_GROUPS)).toBe(true);
    for (const [, types] of groups) expect(Object.isFrozen(types)).toBe(true);
  });
});
