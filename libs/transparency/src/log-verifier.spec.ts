import fc from 'fast-check';
import { CompactRange } from './compact-range';
import { leafHash } from './hash';
import { commitmentOf, leafBytesOf, makeSalt } from './leaf';
import { LogVerifier, type LogEntry, type VerifiedRow } from './log-verifier';
import { generateNoteKey, parseSignerKey, parseVerifierKey } from './note';
import { signCheckpoint } from './checkpoint';

const KEY = generateNoteKey('audit.test');
const OTHER = generateNoteKey('audit.test');
const ORG = 'acme';
const T0 = Date.parse('2026-03-01T12:00:00.000Z');

function row(i: number): VerifiedRow {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    organizationId: ORG,
    actionType: 'LOGIN',
    userId: `u-${i}`,
    ipAddress: '203.0.113.7',
    responseTimeMs: i,
    pageName: null,
    queryName: null,
    resourceName: null,
    metadata: { i },
    createdAt: new Date(T0 + i * 1000),
    receivedAt: new Date(T0 + i * 1000 + 5),
  };
}

/** A sealed log of n events: its entries and the checkpoint of the first `signed` leaves. */
function sealedLog(n: number, signed = n, signer = KEY.signerKey): { entries: LogEntry[]; note: string } {
  const entries = Array.from({ length: n }, (_, i): LogEntry => {
    const r = row(i);
    const salt = makeSalt();
    return { leafIndex: i, eventId: r.id, leaf: leafBytesOf(r, commitmentOf({ ...r, user: null, metadata: { i } }, salt)), salt: Buffer.from(salt, 'base64'), user: null, row: r };
  });
  const root = CompactRange.empty()
    .append(entries.slice(0, signed).map((e) => leafHash(e.leaf)))
.root;
  return { entries, note: signCheckpoint({ origin: `audit-trail/log/${ORG}`, size: signed, rootHash: root, extensions: [] }, [parseSignerKey(signer)]) };
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
    const { entries, note } = sealedLog(3);
    const erased = { ...entries[1], salt: null, row: { ...(entries[1].row as VerifiedRow), userId: null, ipAddress: null, responseTimeMs: null, metadata: {} } };
    const v = verifier(note);
    v.addEntries([entries[0], erased, entries[2]]);
    expect(v.finish().counts).toMatchObject({ verified: 2, erased: 1, failed: 0 });
  });

  it('fails every event under a checkpoint signed with another key, and a saved checkpoint larger than the log', () => {
    const other = sealedLog(4, 4, OTHER.signerKey);
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
