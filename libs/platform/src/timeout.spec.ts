import { withTimeout } from './timeout';

describe('withTimeout', () => {
  it('answers with the promise when it settles in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000)).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('refused')), 1_000)).rejects.toThrow('refused');
  });

  it('turns a rejection that is not an Error into one', async () => {
    await expect(withTimeout(Promise.reject('plain text'), 1_000)).rejects.toEqual(new Error('plain text'));
  });

  it('rejects with the message once the time passes without an answer', async () => {
    const never = new Promise<number>(() => undefined);
    await expect(withTimeout(never, 20)).rejects.toThrow('no answer within 20 ms');
    await expect(withTimeout(never, 20, 'check timed out after 20 ms')).rejects.toThrow('check timed out after 20 ms');
  });
});
