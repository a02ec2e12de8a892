import { pgFailureKind } from './pg-errors';

const pgError = (code: string, message = 'error'): Error => Object.assign(new Error(message), { code });

describe('pgFailureKind', () => {
  it.each([
    ['08006', 'connection failure'],
    ['08001', 'cannot connect now'],
    ['40001', 'serialization failure'],
    ['40P01', 'deadlock detected'],
    ['53300', 'too many connections'],
    ['57P01', 'admin shutdown'],
    ['57P03', 'cannot connect now (starting up)'],
    ['58030', 'io error'],
  ])('%s (%s) is transient', (code) => {
    expect(pgFailureKind(pgError(code))).toBe('transient');
  });

  it.each([
    ['22003', 'numeric value out of range'],
    ['22P02', 'invalid text representation'],
    ['22P05', 'untranslatable character'],
    ['23505', 'unique violation'],
    ['23502', 'not null violation'],
  ])('%s (%s) is permanent', (code) => {
    expect(pgFailureKind(pgError(code))).toBe('permanent');
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'])('socket error %s is transient', (code) => {
    expect(pgFailureKind(pgError(code))).toBe('transient');
  });

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'Client has encountered a connection error and is not queryable',
    'timeout exceeded when trying to connect',
    'Query read timeout',
  ])('driver message "%s" is transient', (message) => {
    expect(pgFailureKind(new Error(message))).toBe('transient');
  });

  it('leaves everything else to bounded retries', () => {
    expect(pgFailureKind(pgError('42P01', 'relation does not exist'))).toBe('unknown');
    expect(pgFailureKind(pgError('XX000', 'internal error'))).toBe('unknown');
    expect(pgFailureKind(new Error('something odd'))).toBe('unknown');
    expect(pgFailureKind({ code: 12 })).toBe('unknown');
    expect(pgFailureKind(undefined)).toBe('unknown');
    expect(pgFailureKind(null)).toBe('unknown');
    expect(pgFailureKind('a string')).toBe('unknown');
  });
});
