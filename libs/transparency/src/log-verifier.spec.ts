import fc from 'fast-check';
import { LOG_KEY as KEY, logEntries, sealedLog as sealed } from '@audit/testing-pipeline';
import { generateNoteKey, parseVerifierKey } from './note';
import { LogVerifier, type LogEntry } from './log-verifier';

const OTHER = generateNoteKey('audit.test');
const T0 = Date.parse('2026-03-01T12:00:00.000Z');

/** A sealed log of n events as `verify log` reads it: its entries, and the checkpoint of the first `signed` leaves. */
function sealedLog(n: number, signed = n, key = KEY): { entries: LogEntry[]; note: string } {
  const log = sealed(n, { signed, key });
  return { entries: logEntries(log), note: log.note };
}

const verifier = (latest: string | undefined, saved?: string) =>
  new LogVerifier({ keys: [parseVerifierKey(KEY.verifierKey)], latest, saved, purgedBefore: 0, frontier: [], purgedThrough: null, pendingAfter: new Date(T0 + 3_600_000) });

describe('LogVerifier', () => {
  it('verifies every event of an untouched log, fed in pages of any size, and counts leaves past the checkpoint as not yet sealed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 0, max: 5 }), (n, page, unsigned) => {
        const { entries, note } = sealedLog(n + unsigned, n);
        const v = verifier(note);
        for (let i = 0; i < entries.length; i += page) v.addEntries(entries.slice(i, i + page));
        const report = v.finish();
        expect(report.counts).toEqual({ verified: n, erased: 0, failed: 0, pending: unsigned, purged: 0 });
        expect(report.ok).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('reports an erased event as erased, not failed', () => {
    const log = sealed(3, { erased: [1] });
    const v = verifier(log.note);
    v.addEntries(logEntries(log));
    expect(v.finish().counts).toMatchObject({ verified: 2, erased: 1, failed: 0 });
  });

  it('fails every event under a checkpoint signed with another key, and a saved checkpoint larger than the log', () => {
    const other = sealedLog(4, 4, OTHER);
    const v = verifier(other.note);
    v.addEntries(other.entries);
    const report = v.finish();
    expect(report.counts).toMatchObject({ verified: 0, failed: 4 });
    expect(report.checkpoints[0].reasons[0]).toMatch(/signature does not verify/);

    const { entries, note } = sealedLog(5);
    const truncated = verifier(sealedLog(0, 0).note, note);
    truncated.addEntries(entries.slice(0, 3));
    const t = truncated.finish();
    expect(t.ok).toBe(false);
    expect(t.failures).toContainEqual({ eventId: null, leafIndex: 3, reasons: ['leaves 3..4 of the saved checkpoint are gone'] });
  });

  it('never throws on hostile leaves and rows: each such event fails with a reason', () => {
    const { entries, note } = sealedLog(6);
    fc.assert(
      fc.property(fc.nat(5), fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.option(fc.uint8Array({ minLength: 0, maxLength: 40 }), { nil: null }), (i, leaf, salt) => {
        const v = verifier(note);
        const forged = { ...entries[i], leaf: Buffer.from(leaf), salt: salt === null ? null : Buffer.from(salt) };
        v.addEntries(entries.map((e, j) => (j === i ? forged : e)));
        const report = v.finish();
        expect(report.ok).toBe(false);
        expect(report.failures.every((f) => f.reasons.length > 0)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
