import fc from 'fast-check';
import type { AuditEvent } from '@audit/contracts';
import { bundleText, LOG_KEY as KEY, logEntries, logEventId as idOf, logReceivedAt as receivedAtOf, sealedLog, type SealedLog } from '@audit/testing-pipeline';
import { BundleVerifier } from './bundle-verifier';
import { CheckpointError } from './checkpoint';
import { LogVerifier } from './log-verifier';
import { parseVerifierKey } from './note';
import { RECEIVED_THROUGH, receivedThroughLine, receivedThroughOf } from './received-through';

/*
 * A bundle's line that says its event is not yet sealed is vouched for by nothing. Whoever edits a bundle (no
 * key) can turn sealed lines into such lines and recompute the proof of the others: these properties hold the
 * verifier to fail every such line whose event the checkpoint's signed `received-through` time covers, and,
 * with a checkpoint that signs no time, to count them apart (pending), never as verified.
 */

type Version = 1 | 2 | 3;

/**
 * The bundle of `version` with the events at `sealed` as sealed lines and the `unsealed` events as lines that
 * say they are not yet sealed; the proof is the one of the sealed lines alone, as an editor recomputes it.
 */
const bundleOf = (log: SealedLog, version: Version, sealed: number[], unsealed: AuditEvent[]): Promise<string> => bundleText(log, { version, sealed, unsealed });

function verify(text: string, fastPath: boolean) {
  const verifier = new BundleVerifier([parseVerifierKey(KEY.verifierKey)], { fastPath });
  verifier.write(Buffer.from(text));
  return verifier.finish();
}

/** A log size, the exported events (at least one), and the nonempty part of them an editor turns into unsealed lines. */
const caseArb = fc
  .integer({ min: 1, max: 40 })
  .chain((size) =>
    fc.record({
      size: fc.constant(size),
      exported: fc.uniqueArray(fc.integer({ min: 0, max: size - 1 }), { minLength: 1, maxLength: size }),
      version: fc.constantFrom<Version>(1, 2, 3),
      fastPath: fc.boolean(),
      editContent: fc.boolean(),
    }),
  )
  .chain((c) => fc.record({ c: fc.constant(c), rewritten: fc.subarray(c.exported, { minLength: 1 }) }));

const asUnsealed = (event: AuditEvent, editContent: boolean): AuditEvent => (editContent ? { ...event, ipAddress: '198.51.100.66', metadata: { i: -1 } } : event);

describe('lines that say their event is not yet sealed', () => {
  it('fail, each named, when the checkpoint signs a received-through time the event was received by (every version, both paths)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.integer({ min: 0, max: 5_000 }), async ({ c, rewritten }, after) => {
        const log = sealedLog(c.size, { extensions: [receivedThroughLine(new Date(Date.parse(receivedAtOf(c.size - 1)) + after).toISOString())] });
        const kept = c.exported.filter((i) => !rewritten.includes(i));
        const text = await bundleOf(log, c.version, kept, rewritten.map((i) => asUnsealed(log.events[i].event, c.editContent)));
        const report = verify(text, c.fastPath);
        expect(report.ok).toBe(false);
        expect(report.counts).toMatchObject({ verified: kept.length, failed: rewritten.length, pending: 0 });
        expect(report.failures.map((f) => f.eventId).sort()).toEqual(rewritten.map(idOf).sort());
        for (const f of report.failures) expect(f.reasons[0]).toMatch(/says it is not yet sealed, but it was received at .* at or before /);
      }),
      { numRuns: 60 },
    );
  });

  it('are counted apart as not yet sealed, never verified, when the checkpoint signs no time (every version, both paths)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async ({ c, rewritten }) => {
        const log = sealedLog(c.size);
        const kept = c.exported.filter((i) => !rewritten.includes(i));
        const report = verify(await bundleOf(log, c.version, kept, rewritten.map((i) => asUnsealed(log.events[i].event, c.editContent))), c.fastPath);
        expect(report.ok).toBe(true);
        expect(report.counts).toMatchObject({ verified: kept.length, failed: 0, pending: rewritten.length });
        expect(report.checkpoints[0].receivedThrough).toBeNull();
      }),
      { numRuns: 60 },
    );
  });

  it('received after the signed time stay not yet sealed (the exporter writes them so), and a receivedAt that is not a time fails', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 5 }), fc.constantFrom<Version>(1, 2, 3), async (size, later, version) => {
        const through = receivedAtOf(size - 1);
        const log = sealedLog(size, { extensions: [receivedThroughLine(through)] });
        const newer = Array.from({ length: later }, (_, k) => ({ ...log.events[0].event, id: idOf(1000 + k), receivedAt: receivedAtOf(size + k) }));
        const all = Array.from({ length: size }, (_, i) => i);
        const report = verify(await bundleOf(log, version, all, newer), true);
        expect(report).toMatchObject({ ok: true, counts: { verified: size, pending: later, failed: 0 } });
        expect(report.checkpoints[0].receivedThrough).toBe(through);

        const unreadable = verify(await bundleOf(log, version, all, [{ ...newer[0], receivedAt: 'soon' }]), true);
        expect(unreadable.ok).toBe(false);
        expect(unreadable.failures).toEqual([{ eventId: newer[0].id, leafIndex: null, reasons: [expect.stringMatching(/its receivedAt is not a time/)] }]);
      }),
      { numRuns: 30 },
    );
  });

  it('the example of the issue: a bundle whose only sealed event is rewritten as not yet sealed', async () => {
    for (const extensions of [[], [receivedThroughLine(receivedAtOf(0))]]) {
      const log = sealedLog(1, { extensions });
      const honest = verify(await bundleOf(log, 3, [0], []), true);
      const edited = verify(await bundleOf(log, 3, [], [log.events[0].event]), true);
      expect(honest).toMatchObject({ ok: true, counts: { verified: 1, pending: 0 } });
      // Without a signed time the edit cannot be refuted, but it is not passed off as verified either.
      expect(edited).toMatchObject(extensions.length === 0 ? { ok: true, counts: { verified: 0, pending: 1 } } : { ok: false, counts: { verified: 0, failed: 1 } });
    }
  });
});

describe('the received-through extension line', () => {
  it('reads back the time it was written with, beside extension lines of others', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('0000-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true }), fc.array(fc.stringMatching(/^[a-z][a-z0-9 -]{0,20}$/), { maxLength: 3 }), (date, others) => {
        const time = date.toISOString();
        const extensions = [...others.filter((o) => !o.startsWith(RECEIVED_THROUGH)), receivedThroughLine(time)];
        expect(receivedThroughOf({ extensions })).toBe(time);
      }),
    );
  });

  it('is refused, failing the checkpoint, when it is not a time or comes twice; other lines are ignored', async () => {
    expect(() => receivedThroughLine('2026-02-30T00:00:00.000Z')).toThrow(CheckpointError);
    expect(receivedThroughOf({ extensions: ['received-throughput 12'] })).toBeNull();
    for (const extensions of [['received-through'], ['received-through 2026-03-01'], [receivedThroughLine(receivedAtOf(0)), receivedThroughLine(receivedAtOf(1))]]) {
      expect(() => receivedThroughOf({ extensions })).toThrow(CheckpointError);
      const log = sealedLog(2, { extensions });
      const report = verify(await bundleOf(log, 3, [1, 0], []), true);
      expect(report.ok).toBe(false);
      expect(report.counts).toMatchObject({ verified: 0, failed: 2 });
      expect(report.checkpoints[0].reasons.join()).toMatch(/^it is signed, but .*received-through/);
    }
  });
});

describe('verify log against a checkpoint that signs a received-through time', () => {
  it('fails a row no leaf seals when it was received by then, even within the pending window; a later one is pending', () => {
    const log = sealedLog(3, { extensions: [receivedThroughLine(receivedAtOf(2))] });
    const verifier = new LogVerifier({ keys: [parseVerifierKey(KEY.verifierKey)], latest: log.note, purgedBefore: 0, frontier: [], purgedThrough: null, pendingAfter: new Date(0) });
    verifier.addEntries(logEntries(log));
    verifier.addUnsealed([
      { id: idOf(50), receivedAt: receivedAtOf(2) },
      { id: idOf(51), receivedAt: new Date(Date.parse(receivedAtOf(2)) + 1) },
    ]);
    const report = verifier.finish();
    expect(report.counts).toMatchObject({ verified: 3, pending: 1, failed: 1 });
    expect(report.failures).toEqual([{ eventId: idOf(50), leafIndex: null, reasons: [expect.stringMatching(/received at or before .*, through which the latest checkpoint holds every event received/)] }]);
    expect(report.checkpoints[0].receivedThrough).toBe(receivedAtOf(2));
  });

  it('fails a leaf past the checkpoint received by its time, and counts one received later as not yet sealed', () => {
    // A checkpoint of the first 3 leaves of 5 that claims every event received through event 3's time.
    const log = sealedLog(5, { signed: 3, extensions: [receivedThroughLine(receivedAtOf(3))] });
    const verifier = new LogVerifier({ keys: [parseVerifierKey(KEY.verifierKey)], latest: log.note, purgedBefore: 0, frontier: [], purgedThrough: null, pendingAfter: new Date(0) });
    verifier.addEntries(logEntries(log));
    const report = verifier.finish();
    expect(report.counts).toMatchObject({ verified: 3, pending: 1, failed: 1 });
    expect(report.failures).toEqual([{ eventId: idOf(3), leafIndex: 3, reasons: [expect.stringMatching(/sealed after the latest checkpoint, yet received at/)] }]);
  });
});
