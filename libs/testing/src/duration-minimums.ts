import fc from 'fast-check';

/** A duration variable with a minimum: its name, the minimum as the refusal writes it, and in ms. */
export type DurationMinimum = readonly [name: string, min: string, minMs: number];

/**
 * The spec of a config reader's duration minimums: every value below each minimum is refused at start,
 * naming the variable and the minimum, and every value from it up (to 100 × it) is taken.
 */
export function describeDurationMinimums(reader: string, read: (env: Record<string, string>) => unknown, minimums: readonly DurationMinimum[], why: string): void {
  describe(`${reader}: ${why}`, () => {
    it.each(minimums.map((m) => [...m]))('refuses %s below %s and keeps it from there up', (name, min, minMs) => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: minMs - 1 }), (ms) => {
          expect(() => read({ [name]: `${ms}ms` })).toThrow(new RegExp(`${name} must be a duration between ${min} and`));
        }),
      );
      fc.assert(fc.property(fc.integer({ min: minMs, max: 100 * minMs }), (ms) => expect(() => read({ [name]: `${ms}ms` })).not.toThrow()));
    });
  });
}
