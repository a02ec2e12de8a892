import fc from 'fast-check';
import { BundleVerifier } from './bundle-verifier';
import { signCheckpoint } from './checkpoint';
import { CompactRange } from './compact-range';
import { leafHash } from './hash';
import { commitmentOf, leafBytesOf, makeSalt } from './leaf';
import { multiInclusionProof } from './multi-proof';
import { generateNoteKey, parseSignerKey, parseVerifierKey } from './note';
import { InMemoryHashStore } from './store';

const KEY = generateNoteKey('audit.test');
const ORG = 'acme';
const T0 = Date.parse('2026-03-01T12:00:00.000Z');

/** A bundle as the exporter writes it: `size` leaves sealed, the events at `exported` indices in it, event 1 erased. */
async function bundle(size: number, exported: number[]): Promise<string> {
  const store = new InMemoryHashStore();
  let range = CompactRange.empty();
  const lines: string[] = [];
  const events = Array.from({ length: size }, (_, i) => {
    const event = {
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      organizationId: ORG,
      actionType: 'LOGIN',
      userId: i === 1 ? null : `u-${i}`,
      user: i === 1 ? null : { email: `u${i}@example.com`, userName: `U ${i}` },
      ipAddress: i === 1 ? null : '203.0.113.7',
      responseTimeMs: i === 1 ? null : i,
      pageName: null,
      queryName: null,
      resourceName: null,
      metadata: i === 1 ? {} : { i },
      createdAt: new Date(T0 + i * 1000).toISOString(),
      receivedAt: new Date(T0 + i * 1000 + 5).toISOString(),
    };
    const salt = makeSalt();
    // Event 1 was sealed with content, then erased: its commitment is of other content.
    const leaf = leafBytesOf(event, commitmentOf(i === 1 ? { ...event, userId: 'gone', metadata: { i } } : event, salt));
    const appended = range.append([leafHash(leaf)]);
    range = appended.range;
    store.put(appended.nodes);
    return { event, leaf, salt: i === 1 ? null : salt };
  });
  const note = signCheckpoint({ origin: `audit-trail/log/${ORG}`, size, rootHash: range.root(), extensions: [] }, [parseSignerKey(KEY.signerKey)]);
  lines.push(JSON.stringify({ bundle: 1, organizationId: ORG, checkpoint: note }));
  for (const i of exported) {
    const { event, leaf, salt } = events[i];
    const { user, ...row } = event;
    lines.push(JSON.stringify({ event: { ...row, userEmail: user?.email ?? null }, leafIndex: i, leaf: leaf.toString('base64'), salt, user }));
  }
  const proof = await multiInclusionProof(store, [...exported].sort((a, b) => a - b), size);
  lines.push(JSON.stringify({ proof: proof.map((h) => h.toString('base64')) }));
  return `${lines.join('\n')}\n`;
}

const verify = (text: string) => {
  const v = new BundleVerifier([parseVerifierKey(KEY.verifierKey)]);
  for (const line of text.split('\n')) v.addLine(line);
  return v.finish();
};

describe('BundleVerifier', () => {
  it('verifies every exported event and reports the erased one as erased', async () => {
    const report = verify(await bundle(9, [8, 5, 1, 0]));
    expect(report.counts).toMatchObject({ verified: 3, erased: 1, failed: 0 });
    expect(report.ok).toBe(true);
  });

  it('names the event whose row was edited', async () => {
    const text = (await bundle(6, [3, 2])).replace('"ipAddress":"203.0.113.7","responseTimeMs":3', '"ipAddress":"198.51.100.1","responseTimeMs":3');
    const report = verify(text);
    expect(report.ok).toBe(false);
    expect(report.failures).toEqual([{ eventId: '00000000-0000-4000-8000-000000000003', leafIndex: 3, reasons: ['its content is not what was sealed'] }]);
  });

  it('verifies an event whose row writes its time in another form of the same instant (read back field by field)', async () => {
    const text = (await bundle(4, [2])).replace('"createdAt":"2026-03-01T12:00:02.000Z"', '"createdAt":"2026-03-01T13:00:02+01:00"');
    expect(text).toContain('13:00:02+01:00');
    expect(verify(text).counts).toMatchObject({ verified: 1, failed: 0 });
  });

  it('names the event whose time was moved, and the organization of an event from elsewhere', async () => {
    const text = (await bundle(5, [4, 3])).replace('"receivedAt":"2026-03-01T12:00:04.005Z"', '"receivedAt":"2026-03-01T12:00:04.006Z"').replace('"organizationId":"acme","actionType":"LOGIN","userId":"u-3"', '"organizationId":"other","actionType":"LOGIN","userId":"u-3"');
    expect(verify(text).failures).toEqual([
      { eventId: '00000000-0000-4000-8000-000000000004', leafIndex: 4, reasons: ['its receivedAt is not what was sealed'] },
      { eventId: '00000000-0000-4000-8000-000000000003', leafIndex: 3, reasons: ['the event is of organization "other", not the bundle\'s'] },
    ]);
  });

  it('refuses a bundle with any bytes flipped or cut: never throws, always failed with a reason', async () => {
    const text = Buffer.from(await bundle(7, [6, 4, 2, 1]));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(text.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), fc.option(fc.nat(text.length)), (flips, cut) => {
        const bytes = Buffer.from(text);
        for (const [at, xor] of flips) bytes[at] ^= xor;
        const report = verify(bytes.subarray(0, cut ?? bytes.length).toString('utf8'));
        // A flip may land where JSON ignores it (white space turned into another): then the bundle is still whole.
        if (report.ok) expect(report.counts.verified + report.counts.erased).toBe(4);
        else expect([...report.failures.map((f) => f.reasons.length > 0), ...report.checkpoints.map((c) => c.ok || c.reasons.length > 0)].every(Boolean)).toBe(true);
        if (!report.ok) expect(report.failures.length + report.checkpoints.filter((c) => !c.ok).length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });
});
