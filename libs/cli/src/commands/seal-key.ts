import { InvalidArgumentError, Option, type Command } from 'commander';
import { generateNoteKey, isValidKeyName } from '@audit/transparency';
import { action, NEEDS, type CliSession } from '../cli-context';

function parseKeyName(value: string): string {
  if (!isValidKeyName(value)) throw new InvalidArgumentError("Expected a signed-note key name: no white space and no '+'.");
  return value;
}

/**
 * `seal-key [--name <name>]`: a new Ed25519 signing key for the sealer, as SEAL_PRIVATE_KEY wants it, and
 * the verifier key that checks its checkpoints. Nothing is stored: the operator puts the signer key in a
 * Secret (k8s/README.md). Rotation: give the sealer the new key; the old one stays listed in /v1/log/keys.
 */
export function sealKeyCommand(program: Command, session: CliSession): void {
  program
    .command('seal-key')
    .description("print a new signing key for the sealer (SEAL_PRIVATE_KEY) and its public verifier key; nothing is stored")
    .addOption(new Option('--name <name>', "the key's name in signed notes").default('audit-trail').argParser(parseKeyName))
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- seal-key --name acme-audit\n  $ npm run cli -- seal-key --json   # {"signerKey":"PRIVATE+KEY+…","verifierKey":"…"}')
    .action(
      action<{ name: string }>(session, NEEDS.nothing, async ({ options, out }) => {
        const { signerKey, verifierKey } = generateNoteKey(options.name);
        out.result({ signerKey, verifierKey }, () => [`SEAL_PRIVATE_KEY=${signerKey}`, `# verifier key (public): ${verifierKey}`]);
      }),
    );
}
