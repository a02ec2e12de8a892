import { AppError, httpStatusOf, type ErrorCode } from './errors';
import { backoffMs } from './sleep';
import { JsonLogger } from './logger';

describe('error codes', () => {
  it.each<[ErrorCode, number]>([
    ['VALIDATION_FAILED', 400],
    ['BAD_REQUEST', 400],
    ['UNAUTHENTICATED', 401],
    ['FORBIDDEN', 403],
    ['NOT_FOUND', 404],
    ['GONE', 410],
    ['PAYLOAD_TOO_LARGE', 413],
    ['RATE_LIMITED', 429],
    ['TOO_MANY_REQUESTS', 429],
    ['BUS_UNAVAILABLE', 503],
    ['DATABASE_UNAVAILABLE', 503],
    ['IDENTITY_PROVIDER_UNAVAILABLE', 503],
    ['QUERY_TIMEOUT', 504],
  ])('%s maps to %i', (code, status) => {
    expect(httpStatusOf(code)).toBe(status);
    expect(new AppError(code, 'x').code).toBe(code);
  });
});

describe('backoff', () => {
  it('grows and stays under the cap', () => {
    for (let attempt = 1; attempt < 20; attempt++) {
      const ms = backoffMs(attempt, 100, 5_000);
      expect(ms).toBeGreaterThanOrEqual(Math.min(5_000, 100 * 2 ** (attempt - 1)) / 2);
      expect(ms).toBeLessThanOrEqual(5_000);
    }
  });
});

describe('JSON logger', () => {
  it('writes one JSON object per line with level, service and context', () => {
    const lines: string[] = [];
    const logger = new JsonLogger('svc', 'log', (line) => lines.push(line));
    logger.log({ msg: 'hello', n: 1 }, 'ctx');
    logger.debug('hidden below the level');
    logger.error(new Error('boom'));
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]);
    expect(first).toMatchObject({ level: 'log', service: 'svc', context: 'ctx', msg: 'hello', n: 1 });
    expect(JSON.parse(lines[1])).toMatchObject({ level: 'error', msg: 'boom' });
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
  });
});
