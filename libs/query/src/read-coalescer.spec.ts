import { ReadCoalescer } from './read-coalescer';

const WINDOW = 300_000;
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % WINDOW);

describe('ReadCoalescer', () => {
  it('records a view once per window: the first request records, the later ones share its outcome', async () => {
    const views = new ReadCoalescer(WINDOW);
    const starts: number[] = [];
    const record = async (start: number) => {
      starts.push(start);
    };
    await views.cover('a', T0 + 10, record);
    await views.cover('a', T0 + WINDOW - 1, record);
    await views.cover('b', T0 + 20, record);
    await views.cover('a', T0 + WINDOW, record);
    expect(starts).toEqual([T0, T0, T0 + WINDOW]);
    // Entering a new window forgot the old one's views: memory is bounded by one window of views.
    expect(views.size).toBe(1);
  });

  it('makes concurrent requests of a view wait for the one record, and all fail with it', async () => {
    const views = new ReadCoalescer(WINDOW);
    let calls = 0;
    let fail: (error: Error) => void = () => undefined;
    const record = () => {
      calls++;
      return new Promise<void>((_, reject) => (fail = reject));
    };
    const first = views.cover('a', T0, record);
    const second = views.cover('a', T0 + 1, record);
    fail(new Error('bus down'));
    await expect(first).rejects.toThrow('bus down');
    await expect(second).rejects.toThrow('bus down');
    expect(calls).toBe(1);
    // A failed record is forgotten: the next request of the view records it again (fail closed until it does).
    await views.cover('a', T0 + 2, async () => {
      calls++;
    });
    expect(calls).toBe(2);
  });

  it('records a request from a window already left (a clock stepped back) without remembering it', async () => {
    const views = new ReadCoalescer(WINDOW);
    let calls = 0;
    const record = async () => {
      calls++;
    };
    await views.cover('a', T0 + WINDOW, record);
    await views.cover('a', T0, record);
    await views.cover('a', T0, record);
    await views.cover('a', T0 + WINDOW + 5, record);
    expect(calls).toBe(3);
  });

  it('refuses a window shorter than a millisecond', () => {
    expect(() => new ReadCoalescer(0)).toThrow(RangeError);
  });
});
