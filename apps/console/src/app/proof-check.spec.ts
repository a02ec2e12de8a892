import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { EventDetail, EventProof } from '@audit/contracts';
import { checkEventProof } from './proof-check';

const sha256 = (...parts: Buffer[]): Buffer => createHash('sha256').update(Buffer.concat(parts)).digest();

/** An Ed25519 signed-note key made with node:crypto, apart from the code under test (which uses WebCrypto). */
function noteKey(name: string): { verifierKey: string; sign: (body: string) => string } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.concat([Buffer.of(1), publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)]);
  const keyId = sha256(Buffer.from(`${name}\n`), raw).subarray(0, 4);
  return {
    verifierKey: `${name}+${keyId.toString('hex')}+${raw.toString('base64')}`,
    sign: (body) => `${body}\n\u2014 ${name} ${Buffer.concat([keyId, sign(null, Buffer.from(body), privateKey)]).toString('base64')}\n`,
  };
}

const EVENT = {
  id: '0190f0c8-8a4e-7c3b-9d2a-000000000001',
  organizationId: 'acme',
  actionType: 'LOGIN',
  userId: 'u-1',
  ipAddress: '203.0.113.7',
  responseTimeMs: 12,
  pageName: null,
  queryName: null,
  resourceName: null,
  metadata: {},
  createdAt: '2026-03-01T12:00:00.000Z',
  receivedAt: '2026-03-01T12:00:00.250Z',
} as unknown as EventDetail;

/** A log of one leaf (the event's), its checkpoint's body written with `extensions` after the root hash. */
function proofOf(extensions: string[], key = noteKey('audit-trail')): { proof: EventProof; verifierKey: string } {
  const salt = Buffer.alloc(32, 7).toString('base64');
  const content = { userId: 'u-1', user: null, ipAddress: '203.0.113.7', responseTimeMs: 12, pageName: null, queryName: null, resourceName: null, metadata: {} };
  const commitment = sha256(Buffer.from(canonicalize({ v: 1, salt, content }) ?? '')).toString('base64');
  const leaf = Buffer.from(canonicalize({ v: 1, id: EVENT.id, organizationId: 'acme', actionType: 'LOGIN', createdAt: EVENT.createdAt, receivedAt: EVENT.receivedAt, commitment }) ?? '');
  const root = sha256(Buffer.of(0), leaf).toString('base64');
  const body = ['audit-trail/log/acme', '1', root, ...extensions, ''].join('\n');
  const proof: EventProof = {
    eventId: EVENT.id,
    leafIndex: 0,
    treeSize: 1,
    leaf: leaf.toString('base64'),
    commitment,
    salt,
    user: null,
    inclusionProof: [],
    checkpoint: { treeSize: 1, rootHash: root, signedAt: '2026-03-01T12:00:05.000Z', note: key.sign(body) },
  };
  return { proof, verifierKey: key.verifierKey };
}

describe('checkEventProof (the console verifier) and checkpoint extension lines', () => {
  it('verifies a checkpoint without extension lines, as every checkpoint signed before them', async () => {
    const { proof, verifierKey } = proofOf([]);
    await expect(checkEventProof(EVENT, proof, [verifierKey])).resolves.toMatchObject({ status: 'verified', treeSize: 1, keyName: 'audit-trail' });
  });

  it('verifies a checkpoint carrying the sealer’s received-through line (signed with the rest of the body)', async () => {
    const { proof, verifierKey } = proofOf(['received-through 2026-03-01T12:00:04.000Z']);
    await expect(checkEventProof(EVENT, proof, [verifierKey])).resolves.toMatchObject({ status: 'verified', treeSize: 1 });
  });

  it('fails a checkpoint whose received-through line was changed after signing', async () => {
    const { proof, verifierKey } = proofOf(['received-through 2026-03-01T12:00:04.000Z']);
    const edited = { ...proof, checkpoint: { ...proof.checkpoint, note: proof.checkpoint.note.replace('12:00:04.000Z', '12:00:09.000Z') } };
    await expect(checkEventProof(EVENT, edited, [verifierKey])).resolves.toEqual({ status: 'failed', reason: 'the checkpoint is not signed by any of the log’s keys' });
  });
});
