import { ACTION_TYPES } from '@audit/contracts';
import { CONSOLE_GROUPS, describeAction, groupOf } from './action-types';

describe('action types in the console', () => {
  it('offers the five groups, with every one of the 34 action types exactly once', () => {
    expect(CONSOLE_GROUPS.map((g) => g.label)).toEqual(['Queries', 'Authentication', 'Users and groups', 'Resources and pages', 'Workflows']);
    const listed = CONSOLE_GROUPS.flatMap((g) => g.types);
    expect(listed).toHaveLength(ACTION_TYPES.length);
    expect([...listed].sort()).toEqual([...ACTION_TYPES].sort());
  });

  it('places the types the contract keeps apart: organization changes with users, pages with resources', () => {
    expect(groupOf('UPDATE_ORGANIZATION')).toBe('usersAndGroups');
    expect(groupOf('PAGE_VIEW')).toBe('resources');
    expect(groupOf('PAGE_EXPORT')).toBe('resources');
    expect(groupOf('PLAYGROUND_QUERY_RUN')).toBe('queries');
    expect(groupOf('RUN_WORKFLOW_BLOCK')).toBe('workflows');
    expect(groupOf('DISABLE_TWO_FACTOR_AUTH')).toBe('authentication');
  });

  it("describes each type in the reference's words and shows an unknown one as it came", () => {
    expect(describeAction('RE_INVITE_USER')).toBe('User re-sends invite');
    expect(describeAction('SOMETHING_NEW')).toBe('SOMETHING_NEW');
  });
});
