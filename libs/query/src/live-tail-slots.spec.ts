import fc from 'fast-check';
import { AppError } from '@audit/platform';
import { LiveTailSlots } from './live-tail-slots';

describe('live tail slots', () => {
  it('refuse with 429 past the organization bound and past the process bound, and free a slot once per release', () => {
    const slots = new LiveTailSlots({ perOrg: 2, perProcess: 3 });
    const a1 = slots.take('a');
    slots.take('a');
    expect(() => slots.take('a')).toThrow(expect.objectContaining({ code: 'TOO_MANY_REQUESTS', message: expect.stringContaining('LIVE_TAIL_MAX_PER_ORG') }));
    slots.take('b');
    expect(() => slots.take('c')).toThrow(expect.objectContaining({ code: 'TOO_MANY_REQUESTS', message: expect.stringContaining('LIVE_TAIL_MAX_PER_PROCESS') }));
    a1();
    a1();
    expect(slots.held()).toBe(2);
    expect(slots.held('a')).toBe(1);
    slots.take('c');
    expect(() => slots.take('c')).toThrow(AppError);
  });

  it('never hold more than either bound, whatever the order of opens and closes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.boolean(), fc.constantFrom('a', 'b', 'c'), fc.nat()), { maxLength: 60 }),
        (perOrg, perProcess, steps) => {
          const slots = new LiveTailSlots({ perOrg, perProcess });
          const open: Array<{ org: string; release: () => void }> = [];
          for (const [opening, org, pick] of steps) {
            if (opening) {
              const fits = slots.held(org) < perOrg && slots.held() < perProcess;
              if (fits) open.push({ org, release: slots.take(org) });
              else expect(() => slots.take(org)).toThrow(AppError);
            } else if (open.length > 0) {
              open.splice(pick % open.length, 1)[0].release();
            }
            expect(slots.held()).toBe(open.length);
            for (const o of ['a', 'b', 'c']) expect(slots.held(o)).toBe(open.filter((x) => x.org === o).length);
          }
        },
      ),
    );
  });
});
