import fc from 'fast-check';
import { CoalescedReads } from './coalesced-reads';

/** A run the test finishes by hand: when it started (a step number) and how it ends. */
interface Run {
  key: string;
  startedAt: number;
  finish: (ok: boolean) => void;
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('CoalescedReads', () => {
  it('answers every request with a run started after it arrived, runs at most one read per key at once and queues at most one more', async () => {
    // A schedule of steps: a request for a key, or the oldest run under way finishing (well or failing).
    const step = fc.oneof(fc.record({ request: fc.constantFrom('a', 'b') }), fc.record({ finish: fc.boolean() }));
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const reads = new CoalescedReads<number>();
        const runs: Run[] = [];
        const open: Run[] = [];
        const answers: Array<{ key: string; askedAt: number; outcome?: { ok: boolean; run: number } }> = [];
        let now = 0;
        const request = (key: string): void => {
          const answer: (typeof answers)[number] = { key, askedAt: now };
          answers.push(answer);
          reads
            .run(key, () => {
              const index = runs.length;
              return new Promise<number>((resolve, reject) => {
                const run: Run = { key, startedAt: now, finish: (ok) => (ok ? resolve(index) : reject(new Error(String(index)))) };
                runs.push(run);
                open.push(run);
              });
            })
            .then(
              (index) => (answer.outcome = { ok: true, run: index }),
              (error: Error) => (answer.outcome = { ok: false, run: Number(error.message) }),
            );
        };
        const drive = async (s: (typeof steps)[number]): Promise<void> => {
          now++;
          if ('request' in s) request(s.request);
          else open.shift()?.finish(s.finish);
          // A queued run starts now, when the one before it has ended.
          await flush();
          // One run per key at a time.
          for (const key of ['a', 'b']) expect(open.filter((r) => r.key === key).length).toBeLessThanOrEqual(1);
        };
        for (const s of steps) await drive(s);
        // Finish whatever is left, queued runs included.
        while (open.length > 0) await drive({ finish: true });
        for (const answer of answers) {
          expect(answer.outcome).toBeDefined();
          const run = runs[answer.outcome?.run ?? -1];
          expect(run.key).toBe(answer.key);
          // Never an answer computed before the request arrived.
          expect(run.startedAt).toBeGreaterThanOrEqual(answer.askedAt);
        }
        // Requests share runs.
        expect(runs.length).toBeLessThanOrEqual(answers.length);
        expect(reads.inFlight).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('shares one run among the requests that arrive while another runs, and gives each caller its failure', async () => {
    const reads = new CoalescedReads<string>();
    let calls = 0;
    const gates: Array<(ok: boolean) => void> = [];
    const read = () => {
      calls++;
      return new Promise<string>((resolve, reject) => gates.push((ok) => (ok ? resolve(`run ${calls}`) : reject(new Error(`run ${calls} failed`)))));
    };
    const first = reads.run('k', read);
    const later = [reads.run('k', read), reads.run('k', read), reads.run('k', read)];
    expect(calls).toBe(1);
    gates[0](false);
    await expect(first).rejects.toThrow('run 1 failed');
    await flush();
    // The three later requests share the second run, started after the first ended.
    expect(calls).toBe(2);
    gates[1](true);
    expect(await Promise.all(later)).toEqual(['run 2', 'run 2', 'run 2']);
    // Another key is never shared with.
    const other = reads.run('other', read);
    expect(calls).toBe(3);
    gates[2](true);
    expect(await other).toBe('run 3');
  });
});
