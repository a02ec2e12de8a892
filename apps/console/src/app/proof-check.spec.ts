import { eventWithProof, sealedLog } from '@audit/testing-pipeline';
import { checkEventProof } from './proof-check';

/**
 * A log of one leaf (the event's), its checkpoint's body written with `extensions` after the root hash. Made
 * by the server's own sealing code (libs/transparency, node:crypto), apart from the code under test (WebCrypto):
 * the browser must verify what the platform really produces.
 */
async function proofOf(extensions: string[]) {
  const log = sealedLog(1, { extensions });
  return { ...(await eventWithProof(log, 0)), verifierKey: log.key.verifierKey };
}

describe('checkEventProof (the console verifier) and checkpoint extension lines', () => {
  it('verifies a checkpoint without extension lines, as every checkpoint signed before them', async () => {
    const { event, proof, verifierKey } = await proofOf([]);
    await expect(checkEventProof(event, proof, [verifierKey])).resolves.toMatchObject({ status: 'verified', treeSize: 1, keyName: 'audit.test' });
  });

  it('verifies every event of a larger log by its inclusion proof, and fails one whose content was changed', async () => {
    const log = sealedLog(7);
    for (const i of [0, 3, 6]) {
      const { event, proof } = await eventWithProof(log, i);
      expect(proof.inclusionProof.length).toBeGreaterThan(0);
      await expect(checkEventProof(event, proof, [log.key.verifierKey])).resolves.toMatchObject({ status: 'verified', treeSize: 7 });
      await expect(checkEventProof({ ...event, ipAddress: '198.51.100.1' }, proof, [log.key.verifierKey])).resolves.toMatchObject({ status: 'failed' });
    }
  });

  it('verifies an erased event as erased: its identity still in the log, its content and salt gone', async () => {
    const log = sealedLog(3, { erased: [1] });
    const { event, proof } = await eventWithProof(log, 1);
    await expect(checkEventProof(event, proof, [log.key.verifierKey])).resolves.toMatchObject({ status: 'verified', erased: true });
  });

  it('verifies a checkpoint carrying the sealer’s received-through line (signed with the rest of the body)', async () => {
    const { event, proof, verifierKey } = await proofOf(['received-through 2026-03-01T12:00:04.000Z']);
    await expect(checkEventProof(event, proof, [verifierKey])).resolves.toMatchObject({ status: 'verified', treeSize: 1 });
  });

  it('fails a checkpoint whose received-through line was changed after signing', async () => {
    const { event, proof, verifierKey } = await proofOf(['received-through 2026-03-01T12:00:04.000Z']);
    const edited = { ...proof, checkpoint: { ...proof.checkpoint, note: proof.checkpoint.note.replace('12:00:04.000Z', '12:00:09.000Z') } };
    await expect(checkEventProof(event, edited, [verifierKey])).resolves.toEqual({ status: 'failed', reason: 'the checkpoint is not signed by any of the log’s keys' });
  });
});
