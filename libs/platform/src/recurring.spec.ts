import { scheduleCron, scheduleEvery, type Recurring } from './recurring';

/** A promise and the function that resolves it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('scheduleCron', () => {
  let schedule: Recurring | undefined;
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-03-01T10:00:00.500Z') });
  });
  afterEach(async () => {
    await schedule?.stop();
    schedule = undefined;
    jest.useRealTimers();
  });

  it('runs the work on the pattern, in UTC whatever the process time zone', async () => {
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      const runs: string[] = [];
      const daily = scheduleCron('0 9 * * *', async () => void runs.push(new Date().toISOString()), fail);
      schedule = daily;
      expect(daily.next()?.toISOString()).toBe('2026-03-02T09:00:00.000Z');
      await jest.advanceTimersByTimeAsync(2 * 86_400_000);
      expect(runs).toEqual(['2026-03-02T09:00:00.000Z', '2026-03-03T09:00:00.000Z']);
    } finally {
      process.env.TZ = zone;
    }
  });

  it('hands a failed run to onError and keeps the schedule going', async () => {
    const errors: string[] = [];
    let calls = 0;
    schedule = scheduleCron(
      '* * * * * *',
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('database away');
      },
      (error) => errors.push(error.message),
    );
    await jest.advanceTimersByTimeAsync(3_000);
    expect(errors).toEqual(['database away']);
    expect(calls).toBe(3);
  });

  it('gives onError an Error when the work rejects with something else', async () => {
    const errors: unknown[] = [];
    schedule = scheduleCron('* * * * * *', () => Promise.reject('plain text'), (error) => errors.push(error));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(Error);
    expect((errors[0] as Error).message).toBe('plain text');
  });

  it('does not start a run while the previous one is still going', async () => {
    const release = deferred();
    let calls = 0;
    schedule = scheduleCron('* * * * * *', () => ((calls += 1), release.promise), fail);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(calls).toBe(1);
    release.resolve();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(2);
  });

  it('stop() waits for the run in progress, then nothing more runs', async () => {
    const release = deferred();
    let calls = 0;
    const everySecond = scheduleCron('* * * * * *', () => ((calls += 1), release.promise), fail);
    schedule = everySecond;
    await jest.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(1);
    let stopped = false;
    const stopping = everySecond.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    release.resolve();
    await stopping;
    await jest.advanceTimersByTimeAsync(5_000);
    expect(calls).toBe(1);
    expect(everySecond.next()).toBeNull();
  });
});

describe('scheduleEvery', () => {
  let schedule: Recurring | undefined;
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(async () => {
    await schedule?.stop();
    schedule = undefined;
    jest.useRealTimers();
  });

  it('runs the work every interval, a failed run handed to onError without stopping the next', async () => {
    const errors: string[] = [];
    let calls = 0;
    schedule = scheduleEvery(
      500,
      async () => {
        calls += 1;
        if (calls === 2) throw new Error('bucket away');
      },
      (error) => errors.push(error.message),
    );
    await jest.advanceTimersByTimeAsync(1_600);
    expect(calls).toBe(3);
    expect(errors).toEqual(['bucket away']);
  });

  it('skips the ticks that come while a run is going, and stop() waits for that run', async () => {
    const release = deferred();
    let calls = 0;
    schedule = scheduleEvery(100, () => ((calls += 1), release.promise), fail);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(1);
    let stopped = false;
    const stopping = schedule.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    release.resolve();
    await stopping;
    await jest.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(1);
  });
});

function fail(error: Error): never {
  throw error;
}
