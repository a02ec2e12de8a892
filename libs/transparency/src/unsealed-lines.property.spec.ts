import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { BUNDLE_RANGE_LEAVES, bundleHeaderLine, pendingEventLine, proofLine, sealedEventLine } from './bundle-format';
import { v1EventLine } from './bundle-v1';
import { BundleVerifier } from './bundle-verifier';
import { CheckpointError, signCheckpoint } from './checkpoint';
import { CompactRange } from './compact-range';
import { leafHash } from './hash';
import { commitmentOf, leafBytesOf, openingText } from './leaf';
import { LogVerifier } from './log-verifier';
import { multiInclusionProof, rangeHashes } from './multi-proof';
import { generateNoteKey, parseSignerKey, parseVerifierKey } from './note';
import { RECEIVED_THROUGH, receivedThroughLine, receivedThroughOf } from './received-through';
import { InMemoryHashStore } from './store';

/*
 * A bundle's line that says its event is not yet sealed is vouched for by nothing. Whoever edits a bundle (no
 * key) can turn sealed lines into such lines and recompute the proof of the others: these properties hold the
 * verifier to fail every such line whose event the checkpoint's signed `received-through` time covers, and,
 * with a checkpoint that signs no time, to count them apart (pending), never as verified.
 */

const KEY = generateNoteKey('audit.test');
const ORG = 'acme';
const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const idOf = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const receivedAtOf = (i: number): string => new Date(T0 + i * 1000 + 5).toISOString();
type Version = 1 | 2 | 3;

/** `size` sealed events, their store, and a checkpoint of all of them signed with `extensions`. */
function sealedLog(size: number, extensions: string[]) {
  const store = new InMemoryHashStore();
  let range = CompactRange.empty();
  const events = Array.from({ length: size }, (_, i) => {
    const event = {
      id: idOf(i),
      organizationId: ORG,
      actionType: 'LOGIN',
      userId: `u-${i}`,
      user: { email: `u${i}@example.com`, userName: `User ${i}` },
      ipAddress: '203.0.113.7',
      responseTimeMs: i,
      pageName: null,
      queryName: null,
      resourceName: null,
      metadata: { i },
      createdAt: new Date(T0 + i * 1000).toISOString(),
      receivedAt: receivedAtOf(i),
    };
    const salt = randomBytes(32);
    const leaf = leafBytesOf(event, commitmentOf(event, salt.toString('base64')));
    const appended = range.append([leafHash(leaf)]);
    range = appended.range;
    store.put(appended.nodes);
    return { event, leaf, salt, opening: openingText(event, salt) };
  });
  const note = signCheckpoint({ origin: `audit-trail/log/${ORG}`, size, rootHash: range.root(), extensions }, [parseSignerKey(KEY.signerKey)]);
  return { store, events, note };
}

type Log = ReturnType<typeof sealedLog>;
type Event = Log['events'][number]['event'];

/**
 * The bundle of `version` with the events at `sealed` as sealed lines and the `unsealed` events as lines that
 * say they are not yet sealed; the proof is the one of the sealed lines alone, as an editor recomputes it.
 */
async function bundleOf(log: Log, version: Version, sealed: number[], unsealed: Event[]): Promise<string> {
  const sorted = [...sealed].sort((a, b) => a - b);
  const proof = sorted.length === 0 ? [] : await multiInclusionProof(log.store, sorted, log.events.length);
  let text = bundleHeaderLine(ORG, log.note, version);
  for (const event of unsealed) {
    text += version === 1 ? v1EventLine(JSON.stringify({ ...event, user: undefined }), null) : pendingEventLine(JSON.stringify(event));
  }
  for (const i of sealed) {
    const { leaf, opening, salt, event } = log.events[i];
    text += version === 1 ? v1EventLine(JSON.stringify({ ...event, user: undefined }), { leafIndex: i, leaf, salt, user: event.user }) : sealedEventLine(i, leaf.toString('utf8'), opening);
  }
  const ranges = version === 3 ? (sorted.length === 0 ? [] : await rangeHashes(log.store, sorted, log.events.length, BUNDLE_RANGE_LEAVES)) : null;
  return text + proofLine(proof, ranges);
}

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

const asUnsealed = (event: Event, editContent: boolean): Event => (editContent ? { ...event, ipAddress: '198.51.100.66', metadata: { i: -1 } } : event);

describe('lines that say their event is not yet sealed', () => {
  it('fail, each named, when the checkpoint signs a received-through time the event was received by (every version, both paths)', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, fc.integer({ min: 0, max: 5_000 }), async ({ c, rewritten }, after) => {
        const log = sealedLog(c.size, [receivedThroughLine(new Date(Date.parse(receivedAtOf(c.size - 1)) + after).toISOString())]);
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
        const log = sealedLog(c.size, []);
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
        const log = sealedLog(size, [receivedThroughLine(through)]);
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
      const log = sealedLog(1, extensions);
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
      const log = sealedLog(2, extensions);
      const report = verify(await bundleOf(log, 3, [1, 0], []), true);
      expect(report.ok).toBe(false);
      expect(report.counts).toMatchObject({ verified: 0, failed: 2 });
      expect(report.checkpoints[0].reasons.join()).toMatch(/^it is signed, but .*received-through/);
    }
  });
});

describe('verify log against a checkpoint that signs a received-through time', () => {
  it('fails a row no leaf seals when it was received by then, even within the pending window; a later one is pending', () => {
    const log = sealedLog(3, [receivedThroughLine(receivedAtOf(2))]);
    const verifier = new LogVerifier({ keys: [parseVerifierKey(KEY.verifierKey)], latest: log.note, purgedBefore: 0, frontier: [], purgedThrough: null, pendingAfter: new Date(0) });
    verifier.addEntries(
      log.events.map(({ event, leaf, salt }, i) => {
        const { user, ...row } = event;
        return { leafIndex: i, eventId: event.id, leaf, salt, user, row };
      }),
    );
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
    const log = sealedLog(5, []);
    // A checkpoint of the first 3 leaves that claims every event received through event 3's time.
    const root = CompactRange.empty()
      .append(log.events.slice(0, 3).map((e) => leafHash(e.leaf)))
      .range.root();
    const note = signCheckpoint({ origin: `audit-trail/log/${ORG}`, size: 3, rootHash: root, extensions: [receivedThroughLine(receivedAtOf(3))] }, [parseSignerKey(KEY.signerKey)]);
    const verifier = new LogVerifier({ keys: [parseVerifierKey(KEY.verifierKey)], latest: note, purgedBefore: 0, frontier: [], purgedThrough: null, pendingAfter: new Date(0) });
    verifier.addEntries(
      log.events.map(({ event, leaf, salt }, i) => {
        const { user, ...row } = event;
        return { leafIndex: i, eventId: event.id, leaf, salt, user, row };
      }),
    );
    const report = verifier.finish();
    expect(report.counts).toMatchObject({ verified: 3, pending: 1, failed: 1 });
    expect(report.failures).toEqual([{ eventId: idOf(3), leafIndex: 3, reasons: [expect.stringMatching(/sealed after the latest checkpoint, yet received at/)] }]);
  });
});
