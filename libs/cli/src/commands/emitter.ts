import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { NatsIdentity } from '@audit/audit-client';
import { issueEmitterCredentials } from '@audit/embedded';
import { action, NEEDS, type CliSession } from '../cli-context';
import { orgOption } from '../options';
import { readCliConfig, type CliConfig } from '../config';
import { UsageError } from '../output';

/**
 * The NATS identity an emitter of `organizationId` connects with. On embedded defaults (`npm start`,
 * where NATS_EMBEDDED_DIR names the server's users) the emitter user is issued here (added once, the
 * server reloaded); otherwise it is what the operator gave this shell: NATS_USER, NATS_PASSWORD (or
 * NATS_PASSWORD_FILE) and NATS_INBOX_PREFIX of that organization's emitter user.
 */
export async function emitterIdentity(organizationId: string, config: CliConfig = readCliConfig()): Promise<NatsIdentity> {
  const { natsEmbeddedDir: dir, natsUrl, emitter } = config;
  if (dir && natsUrl) {
    const credentials = await issueEmitterCredentials(dir, natsUrl, organizationId);
    return { user: credentials.user, password: credentials.password, inboxPrefix: credentials.inboxPrefix };
  }
  const password = emitter.passwordFile ? readFileSync(emitter.passwordFile, 'utf8').trim() : emitter.password;
  return { user: emitter.user, password, inboxPrefix: emitter.inboxPrefix };
}

/** `emitter --org <org>`: issues (on embedded defaults) the NATS user an emitting service of the organization connects as. */
export function emitterCommand(program: Command, session: CliSession): void {
  program
    .command('emitter')
    .description("on embedded defaults: add (once) the NATS user of an organization's emitting services, and print its credentials")
    .addOption(orgOption().makeOptionMandatory())
    .addHelpText('after', '\nExamples:\n  $ npm run cli -- emitter --org acme')
    .action(
      action<{ org: string }>(session, NEEDS.nats, async ({ options: { org }, out }) => {
        const config = readCliConfig();
        if (!config.natsEmbeddedDir) {
          throw new UsageError(
            'emitter users are issued here only on embedded defaults (npm start); on a deployed NATS they are users of its configuration (docs/nats-security.md)',
          );
        }
        const identity = await emitterIdentity(org, config);
        out.result({ organizationId: org, natsUrl: config.natsUrl, ...identity }, () => [
          `NATS_URL=${config.natsUrl ?? ''}`,
          `NATS_USER=${identity.user ?? ''}`,
          `NATS_PASSWORD=${identity.password ?? ''}`,
          `NATS_INBOX_PREFIX=${identity.inboxPrefix ?? ''}`,
          `# publishes only audit.ingest.${org}; pass user, password and inboxPrefix to createAuditClient({ natsUrl, ... })`,
        ]);
      }),
    );
}
