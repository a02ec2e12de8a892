import fc from 'fast-check';
import { bundleText, LOG_KEY as KEY, logEvent, logEventId as idOf, sealedLog } from '@audit/testing-pipeline';
import { BUNDLE_RANGE_LEAVES, bundleHeaderLine, pendingEventLine, proofLine } from './bundle-format';
import { BundleVerifier } from './bundle-verifier';
import { MAX_NAMED_FAILURES } from './failure-list';
import { signCheckpoint } from './checkpoint';
import { parseSignerKey, parseVerifierKey } from './note';

/**
 * A bundle as the exporter writes it: a log of `size` leaves (event 1 erased since), the events at
 * `exported` indices (newest first as given), and `pending` events no checkpoint covers yet.
 */
const bundle = (size: number, exported: number[], pending = 0, version: 1 | 3 = 3): Promise<string> =>
  bundleText(sealedLog(size, { erased: [1] }), { version, sealed: exported, unsealed: Array.from({ length: pending }, (_, p) => logEvent(100 + p)) });

/** A version 1 bundle as the exporter wrote it until version 2: each event's JSON lines object beside its base64 leaf, salt and user snapshot. */
const bundleV1 = (size: number, exported: number[], pending = 0): Promise<string> => bundle(size, exported, pending, 1);

/** The version 3 bundle as version 2 wrote it: the same lines, the proof line without its ranges. */
const asVersion2 = (text: string): string => text.replace('{"bundle":3', '{"bundle":2').replace(/,"ranges":\[[^\]]*\]\}\n$/, '}\n');

/** The report on `bytes` fed in `chunks` pieces, by the fast path (default) or the slow path alone. */
function verify(bytes: string | Buffer, options: { fastPath?: boolean; cuts?: number[]; maxLineBytes?: number } = {}) {
  const data = Buffer.from(bytes);
  const v = new BundleVerifier([parseVerifierKey(KEY.verifierKey)], options);
  const at = [...new Set((options.cuts ?? []).map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  [0, ...at].forEach((from, i) => v.write(data.subarray(from, i < at.length ? at[i] : data.length)));
  return v.finish();
}

/** The text with one event's line (found by its id) changed by `edit`. */
const editLine = (text: string, i: number, edit: (line: string) => string): string =>
  text
    .split('\n')
    .map((line) => (line.includes(idOf(i)) ? edit(line) : line))
    .join('\n');

describe('BundleVerifier', () => {
  it('verifies every exported event, reports the erased one as erased and the uncovered ones as not yet sealed, by either path', async () => {
    const text = await bundle(9, [8, 5, 1, 0], 2);
    for (const fastPath of [true, false]) {
      const report = verify(text, { fastPath });
      expect(report.counts).toMatchObject({ verified: 3, erased: 1, failed: 0, pending: 2 });
      expect(report.ok).toBe(true);
    }
  });

  it('names the event whose content was edited, and keeps the others verified', async () => {
    const text = editLine(await bundle(6, [3, 2]), 3, (line) => line.replace('"ipAddress":"203.0.113.7"', '"ipAddress":"198.51.100.1"'));
    const report = verify(text);
    expect(report.ok).toBe(false);
    expect(report.counts).toMatchObject({ verified: 1, failed: 1 });
    expect(report.failures).toEqual([{ eventId: idOf(3), leafIndex: 3, reasons: ['its content is not what was sealed'] }]);
  });

  it('names content kept without its salt, and a salt that is not one', async () => {
    const text = await bundle(4, [3, 2]);
    const report = verify(editLine(editLine(text, 3, (l) => l.replace(/"salt":"[^"]+"/, '"salt":null')), 2, (l) => l.replace(/"salt":"[^"]+"/, '"salt":"AAAA"')));
    expect(report.failures).toEqual([
      { eventId: idOf(3), leafIndex: 3, reasons: ['its content is there without the salt it was sealed with'] },
      { eventId: idOf(2), leafIndex: 2, reasons: ['its salt is not the base64 of 32 bytes'] },
    ]);
  });

  // Each line keeps its values for JSON.parse, but is not the bytes exported: never verified, always named.
  it.each([
    ['a key repeated with other content (JSON.parse keeps the last)', (l: string) => l.replace('"opening":', '"opening":{"content":{},"salt":null,"v":1},"opening":')],
    ['white space', (l: string) => l.replace('"leafIndex":', '"leafIndex": ')],
    ['an escaped character', (l: string) => l.replace('"LOGIN"', '"\\u004cOGIN"')],
    ['keys reordered', (l: string) => l.replace(/^\{("leafIndex":\d+),(.*)\}$/s, '{$2,$1}')],
    ['a carriage return (CRLF)', (l: string) => `${l}\r`],
    ['a number written another way', (l: string) => l.replace('"responseTimeMs":3', '"responseTimeMs":3.0')],
  ])('refuses a line re-encoded with %s, naming the event', async (_what, edit) => {
    const text = editLine(await bundle(5, [4, 3]), 3, edit);
    for (const fastPath of [true, false]) {
      const report = verify(text, { fastPath });
      expect(report.ok).toBe(false);
      expect(report.counts).toMatchObject({ verified: 1, failed: 1 });
      expect(report.failures).toEqual([{ eventId: idOf(3), leafIndex: 3, reasons: [expect.stringMatching(/^line 3 is not byte for byte the text of its values as exported/)] }]);
    }
  });

  it('names the events of the range whose leaf was changed (its time moved), and keeps the other ranges verified, by either path', async () => {
    const moved = (l: string): string => l.replace('"receivedAt":"2026-03-01T12:00:20.005Z"', '"receivedAt":"2026-03-01T12:00:20.006Z"');
    const text = editLine(await bundle(40, [39, 20, 17, 3, 1]), 20, moved);
    const range = "the leaves of range [16, 32) do not give the range's proven hash: a leaf there (its identity or times) or the proof was altered";
    for (const fastPath of [true, false]) {
      const report = verify(text, { fastPath });
      expect(report.counts).toMatchObject({ verified: 2, erased: 1, failed: 2 });
      expect(report.checkpoints[0].ok).toBe(true);
      expect(report.failures).toEqual([
        { eventId: idOf(20), leafIndex: 20, reasons: [range] },
        { eventId: idOf(17), leafIndex: 17, reasons: [range] },
      ]);
    }
    // A version 2 bundle has no ranges: the proof fails, and every event with it.
    const v2 = verify(editLine(asVersion2(await bundle(40, [39, 20, 17, 3, 1])), 20, moved));
    expect(v2.counts).toMatchObject({ verified: 0, erased: 0, failed: 5 });
    expect(v2.checkpoints[0].reasons).toEqual([expect.stringMatching(/^the inclusion proof does not lead to the checkpoint's root/)]);
  });

  it('names the events of an altered leaf\'s range alone, and keeps every event of the other ranges verified', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 70 }).chain((size) => fc.tuple(fc.constant(size), fc.uniqueArray(fc.nat(size - 1), { minLength: 1, maxLength: size }), fc.nat())),
        fc.constantFrom('receivedAt', 'createdAt', 'actionType'),
        async ([size, exported, pick], field) => {
          const altered = exported[pick % exported.length];
          const edit = (l: string): string =>
            field === 'actionType' ? l.replace('{"actionType":"LOGIN"', '{"actionType":"LOGON"') : l.replace(new RegExp(`("${field}":"[^"]*\\.00)(\\d)Z`), (_m, head: string, d: string) => `${head}${(Number(d) + 1) % 10}Z`);
          const text = await bundle(size, exported);
          const changed = editLine(text, altered, edit);
          expect(changed).not.toBe(text);
          const start = altered - (altered % BUNDLE_RANGE_LEAVES);
          const named = exported.filter((i) => i >= start && i < start + BUNDLE_RANGE_LEAVES).sort((a, b) => a - b);
          const report = verify(changed);
          expect(report.checkpoints[0].ok).toBe(true);
          expect(report.failures.map((f) => f.leafIndex).sort((a, b) => (a as number) - (b as number))).toEqual(named);
          expect(report.failures.every((f) => f.eventId === idOf(f.leafIndex as number) && /^the leaves of range \[/.test(f.reasons[0]))).toBe(true);
          expect(report.counts.verified + report.counts.erased).toBe(exported.length - named.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('fails every event when a range hash was changed: the ranges no longer lead to the signed root', async () => {
    const text = await bundle(40, [39, 20, 3]);
    const ranges = /"ranges":\["(.)/.exec(text) as RegExpExecArray;
    const report = verify(text.replace(ranges[0], `"ranges":["${ranges[1] === 'A' ? 'B' : 'A'}`));
    expect(report.counts).toMatchObject({ verified: 0, failed: 3 });
    expect(report.checkpoints[0].reasons).toEqual([expect.stringMatching(/^the inclusion proof does not lead to the checkpoint's root: the proof and the range hashes/)]);
  });

  it('verifies a version 2 bundle (no range hashes), by either path', async () => {
    const text = asVersion2(await bundle(9, [8, 5, 1, 0], 2));
    expect(text).toMatch(/\{"proof":\[[^\]]*\]\}\n$/);
    for (const fastPath of [true, false]) expect(verify(text, { fastPath })).toMatchObject({ ok: true, counts: { verified: 3, erased: 1, failed: 0, pending: 2 } });
    expect(verify(text.replace(/\]\}\n$/, '],"ranges":[]}\n')).ok).toBe(false);
  });

  describe('a version 1 bundle, as the exporter wrote it until version 2', () => {
    it('verifies every event, the erased one as erased and the uncovered ones as not yet sealed', async () => {
      const text = await bundleV1(9, [8, 5, 1, 0], 2);
      expect(text.startsWith('{"bundle":1,')).toBe(true);
      for (const fastPath of [true, false]) expect(verify(text, { fastPath })).toMatchObject({ ok: true, counts: { verified: 3, erased: 1, failed: 0, pending: 2 } });
    });

    it.each([
      ['its content edited', 5, (l: string) => l.replace('"ipAddress":"203.0.113.7"', '"ipAddress":"198.51.100.1"'), 'its content is not what was sealed'],
      ['its time moved', 5, (l: string) => l.replace('"createdAt":"2026-03-01T12:00:05.000Z"', '"createdAt":"2026-03-01T12:00:05.001Z"'), 'its createdAt is not what was sealed'],
      ['its user snapshot edited', 8, (l: string) => l.replace('"email":"u8@example.com"', '"email":"x8@example.com"'), 'its content is not what was sealed'],
      ['its salt not base64', 8, (l: string) => l.replace(/"salt":"[^"]+"/, '"salt":"A"'), 'its content is not what was sealed'],
    ])('names the event with %s and keeps the others verified', async (_what, i, edit, reason) => {
      const report = verify(editLine(await bundleV1(9, [8, 5, 1, 0]), i, edit));
      expect(report.ok).toBe(false);
      expect(report.counts).toMatchObject({ verified: 2, erased: 1, failed: 1 });
      expect(report.failures).toEqual([{ eventId: idOf(i), leafIndex: i, reasons: [reason] }]);
    });

    it('fails every event when its leaf, the proof or the checkpoint was changed, and refuses a header not as written', async () => {
      const text = await bundleV1(9, [8, 5, 1, 0]);
      const leaf = /"leaf":"(.)/.exec(text.split('\n')[2]) as RegExpExecArray;
      const changedLeaf = verify(editLine(text, 5, (l) => l.replace(leaf[0], `"leaf":"${leaf[1] === 'e' ? 'f' : 'e'}`)));
      expect(changedLeaf.ok).toBe(false);
      expect(changedLeaf.counts.verified).toBe(0);
      const proof = verify(text.replace(/"proof":\["(.)/, (_m, c: string) => `"proof":["${c === 'A' ? 'B' : 'A'}`));
      expect(proof.counts).toMatchObject({ verified: 0, failed: 4 });
      expect(proof.checkpoints[0].reasons).toEqual([expect.stringMatching(/^the inclusion proof does not lead to the checkpoint's root/)]);
      expect(verify(text.replace('{"bundle":1,', '{"bundle":1 ,')).checkpoints[0].reasons).toEqual([expect.stringMatching(/^line 1 is not byte for byte/)]);
      expect(verify(text.replace('"checkpoint":"', '"checkpoint":"x')).ok).toBe(false);
    });
  });

  it('names an event of another organization, a bundle of an unknown version, and a line too long to read', async () => {
    const text = await bundle(3, [2, 1]);
    const other = verify(text.replace('"organizationId":"acme","checkpoint"', '"organizationId":"other","checkpoint"'));
    expect(other.failures).toEqual([
      { eventId: idOf(2), leafIndex: 2, reasons: ['the event is of organization "acme", not the bundle\'s'] },
      { eventId: idOf(1), leafIndex: 1, reasons: ['the event is of organization "acme", not the bundle\'s'] },
    ]);
    expect(verify(text.replace('{"bundle":3', '{"bundle":4')).checkpoints[0].reasons).toEqual(['line 1 is a version 4 bundle header: this verifier reads versions 1, 2, 3 (a newer verifier reads it)']);
    const lengths = text.split('\n').map((l) => Buffer.byteLength(l));
    const long = verify(text, { maxLineBytes: lengths[1] - 1, cuts: [50, lengths[0] + 30, lengths[0] + 90] });
    expect(long.ok).toBe(false);
    expect(long.failures[0]).toEqual({ eventId: null, leafIndex: null, reasons: [`line 2 is longer than ${lengths[1] - 1} bytes: not read`] });
  });

  it("refuses the checkpoint of another organization's log (the same key signs every log), whatever the bundle holds", () => {
    const signer = parseSignerKey(KEY.signerKey);
    const organization = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,11}$/);
    fc.assert(
      fc.property(organization, organization, fc.constantFrom('audit-trail/log', 'audit.example.com/log'), fc.boolean(), (bundleOrg, logOrg, prefix, pending) => {
        const note = signCheckpoint({ origin: `${prefix}/${logOrg}`, size: 7, rootHash: Buffer.alloc(32, 1), extensions: [] }, [signer]);
        const lines = pending ? pendingEventLine(JSON.stringify({ ...logEvent(0), organizationId: bundleOrg })) : '';
        const report = verify(bundleHeaderLine(bundleOrg, note) + lines + proofLine([], []));
        const ownLog = logOrg === bundleOrg;
        expect(report.checkpoints[0].ok).toBe(ownLog);
        if (!ownLog) {
          expect(report.ok).toBe(false);
          expect(report.checkpoints[0].reasons).toEqual([`it is the checkpoint of the log "${prefix}/${logOrg}", not of organization "${bundleOrg}"'s (…/${bundleOrg})`]);
        }
      }),
    );
  });

  it('counts every failed line of a bundle of empty lines but names only the first MAX_NAMED_FAILURES (30 KB of gzip held 4.6 GB of failures)', async () => {
    const lines = await bundle(3, [2, 1]);
    const [header] = lines.split('\n');
    const extra = MAX_NAMED_FAILURES + 1234;
    const v = new BundleVerifier([parseVerifierKey(KEY.verifierKey)]);
    v.write(Buffer.from(`${header}\n`));
    const block = Buffer.alloc(1 << 16, 0x0a);
    for (let left = extra; left > 0; left -= block.length) v.write(block.subarray(0, Math.min(block.length, left)));
    const report = v.finish();
    expect(report.ok).toBe(false);
    expect(report.counts.failed).toBe(extra + 1);
    expect(report.failures).toHaveLength(MAX_NAMED_FAILURES);
    expect(report.unnamedFailures).toBe(extra + 1 - MAX_NAMED_FAILURES);
    expect(report.failures[0]).toEqual({ eventId: null, leafIndex: null, reasons: ['line 2 is empty'] });
  });

  it('refuses a bundle with any byte changed, added or cut, by either path, however its bytes come in chunks', async () => {
    // No uncovered event: what its line holds is only ever reported as not yet sealed, never vouched for.
    const text = Buffer.from(await bundle(7, [6, 4, 2, 1]));
    const change = fc.oneof(
      fc.record({ flip: fc.tuple(fc.nat(text.length - 1), fc.integer({ min: 1, max: 255 })) }),
      fc.record({ insert: fc.tuple(fc.nat(text.length), fc.constantFrom(' ', '\r', '\n', '"', '\\', ',', '}', '0', 'A')) }),
      fc.record({ remove: fc.nat(text.length - 1) }),
    );
    fc.assert(
      fc.property(fc.array(change, { minLength: 1, maxLength: 3 }), fc.option(fc.nat(text.length - 1)), fc.array(fc.nat(), { maxLength: 5 }), (changes, cut, cuts) => {
        let bytes = Buffer.from(text);
        for (const c of changes) {
          if ('flip' in c) bytes[c.flip[0] % bytes.length] ^= c.flip[1];
          else if ('insert' in c) bytes = Buffer.concat([bytes.subarray(0, c.insert[0] % (bytes.length + 1)), Buffer.from(c.insert[1]), bytes.subarray(c.insert[0] % (bytes.length + 1))]);
          else bytes = Buffer.concat([bytes.subarray(0, c.remove % bytes.length), bytes.subarray((c.remove % bytes.length) + 1)]);
        }
        if (cut !== null) bytes = bytes.subarray(0, cut);
        const fast = verify(bytes, { cuts });
        const slow = verify(bytes, { fastPath: false });
        expect(fast.ok).toBe(bytes.equals(text));
        expect(slow.ok).toBe(fast.ok);
        expect(slow.counts).toEqual(fast.counts);
        // Never a crash, and every failure says why.
        expect([...fast.failures, ...slow.failures].every((f) => f.reasons.length > 0 && f.reasons.every((r) => r.length > 0))).toBe(true);
        if (!fast.ok) expect(fast.failures.length + fast.checkpoints.filter((c) => !c.ok).length).toBeGreaterThan(0);
      }),
      { numRuns: 400 },
    );
  });
});
