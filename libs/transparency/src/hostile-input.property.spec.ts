import fc from 'fast-check';
import {
  CheckpointError,
  LeafError,
  NoteError,
  openNote,
  parseCheckpoint,
  parseLeafBytes,
  parseSignerKey,
  parseVerifierKey,
  ProofError,
  verifyConsistency,
  verifyInclusion,
  verifyMultiInclusion,
} from './index';

const VERIFIER = parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
const SIGNED = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

/** Any UTF-16 text (lone surrogates and control characters included), and edits of a valid note. */
const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 200 });
const editedNote = fc.tuple(fc.nat(SIGNED.length), fc.nat(SIGNED.length), anyText).map(([a, b, insert]) => SIGNED.slice(0, Math.min(a, b)) + insert + SIGNED.slice(Math.max(a, b)));

/** Runs `fn`; anything it throws must be an instance of `type`. */
function onlyThrows(type: new (...args: never[]) => Error, fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(type);
  }
}

describe('hostile input is refused with the typed error of its kind, never anything else', () => {
  it('notes and keys: NoteError', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, editedNote), fc.uint8Array({ maxLength: 200 }), (text, bytes) => {
        onlyThrows(NoteError, () => openNote(text, [VERIFIER]));
        onlyThrows(NoteError, () => openNote(bytes, [VERIFIER]));
        onlyThrows(NoteError, () => parseVerifierKey(text));
        onlyThrows(NoteError, () => parseSignerKey(`PRIVATE+KEY+${text}`));
      }),
    );
  });

  it('an edited note that still opens has the reference text and signature', () => {
    fc.assert(
      fc.property(editedNote, (note) => {
        try {
          expect(openNote(note, [VERIFIER]).signatures[0].keyId).toBe(0xc74f20a3);
          expect(note).toBe(SIGNED);
        } catch (error) {
          expect(error).toBeInstanceOf(NoteError);
        }
      }),
    );
  });

  it('checkpoints: CheckpointError; leaves: LeafError', () => {
    fc.assert(
      fc.property(anyText, fc.uint8Array({ maxLength: 300 }), (text, bytes) => {
        onlyThrows(CheckpointError, () => parseCheckpoint(text));
        onlyThrows(LeafError, () => parseLeafBytes(bytes));
        onlyThrows(LeafError, () => parseLeafBytes(Buffer.from(text)));
      }),
    );
  });

  it('proof verification with arbitrary numbers and byte strings: ProofError', () => {
    const num = fc.oneof(fc.integer(), fc.double(), fc.maxSafeNat(), fc.constant(2 ** 53));
    const bytes = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 40 }));
    fc.assert(
      fc.property(num, num, bytes, bytes, fc.array(bytes, { maxLength: 60 }), (a, b, h1, h2, proof) => {
        onlyThrows(ProofError, () => verifyInclusion(a, b, h1, proof, h2));
        onlyThrows(ProofError, () => verifyConsistency(a, b, h1, h2, proof));
        onlyThrows(ProofError, () => verifyMultiInclusion(b, [{ index: a, hash: h1 }], proof, h2));
      }),
    );
  });
});
