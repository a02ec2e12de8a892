import { AppError } from '@audit/platform';
import { readRetentionBody } from './settings-body';

const problems = (body: unknown): unknown => {
  try {
    readRetentionBody(body);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).details;
  }
  throw new Error('expected a validation error');
};

describe('readRetentionBody', () => {
  it('accepts an integer from 0 and null', () => {
    expect(readRetentionBody({ days: 0 })).toEqual({ days: 0 });
    expect(readRetentionBody({ days: 90 })).toEqual({ days: 90 });
    expect(readRetentionBody({ days: null })).toEqual({ days: null });
  });

  it('names each bad field', () => {
    expect(problems({ days: -1 })).toEqual([expect.objectContaining({ path: 'days' })]);
    expect(problems({ days: 1.5 })).toEqual([expect.objectContaining({ path: 'days' })]);
    expect(problems({ days: '30' })).toEqual([expect.objectContaining({ path: 'days' })]);
    expect(problems({})).toEqual([expect.objectContaining({ path: 'days' })]);
    expect(problems({ days: 5, dayz: 5 })).toEqual([{ path: 'dayz', reason: 'unknown field' }]);
    expect(problems([1])).toEqual([expect.objectContaining({ path: '' })]);
  });
});
