import { TimeSlice } from './time-slice';

/** Busy work of about `ms`, as decoding a slice of a batch is. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('TimeSlice', () => {
  it('lets other work run while a long loop is still going', async () => {
    const slice = new TimeSlice(4, 1);
    let ran = false;
    setImmediate(() => (ran = true));
    // 200 items of 0.5 ms: 100 ms of work, which without slices would hold the loop for all of it.
    for (let i = 0; i < 200; i++) {
      if (slice.spent()) await slice.yield();
      busy(0.5);
    }
    // Read before anything awaits: only a turn of the event loop inside the loop can have run it.
    expect(ran).toBe(true);
  });

  it('does not yield while the slice has time left', async () => {
    const slice = new TimeSlice(10_000, 1);
    let ran = false;
    setImmediate(() => (ran = true));
    for (let i = 0; i < 1000; i++) if (slice.spent()) await slice.yield();
    expect(ran).toBe(false);
  });
});
