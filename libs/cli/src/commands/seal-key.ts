import { generateNoteKey, isValidKeyName } from '@audit/transparency';
import { UsageError, type Output } from '../output';

/**
 * `seal-key [--name <name>]`: a new Ed25519 signing key for the sealer, as SEAL_PRIVATE_KEY wants it, and
 * the verifier key that checks its checkpoints. Nothing is stored: the operator puts the signer key in a
 * Secret (k8s/README.md). Rotation: give the sealer the new key; the old one stays listed in /v1/log/keys.
 */
export function sealKeyCommand(values: Record<string, string | boolean | undefined>, out: Output): void {
  const name = typeof values['name'] === 'string' ? values['name'] : 'audit-trail';
  if (!isValidKeyName(name)) throw new UsageError(`--name must be a signed-note key name: no white space and no '+' (got "${name}")`);
  const { signerKey, verifierKey } = generateNoteKey(name);
  out.result({ signerKey, verifierKey }, () => [`SEAL_PRIVATE_KEY=${signerKey}`, `# verifier key (public): ${verifierKey}`]);
}
