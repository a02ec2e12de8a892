import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { NatsIdentity } from '@audit/audit-client';
import { issueEmitterCredentials } from '@audit/embedded';
import { action, NEEDS, type CliSession } from '../cli-context';
import { orgOption } from '../options';
import { UsageError } from '../output';

/**
 * The NATS identity an emitter of `organizationId` connects with. On embedded defaults (`npm start`,
 * where NATS_EMBEDDED_DIR names the server's users) the emitter user is issued here (added once, the
 * server reloaded); otherwise it is what the operator gave this shell: NATS_USER, NATS_PASSWORD (or
 * NATS_PASSWORD_FILE) and NATS_INBOX_PREFIX of that organization's emitter user.
 */
export async function emitterIdentity(organizationId: string, env: NodeJS.ProcessEnv = process.env): Promise<NatsIdentity> {
  const dir = env.NATS_EMBEDDED_DIR;
  if (dir && env.NATS_URL) {
    const credentials = await issueEmitterCredentials(dir, env.NATS_URL, organizationId);
    return { user: credentials.user, password: credentials.password, inboxPrefix: credentials.inboxPrefix };
  }
  const password = env.NATS_PASSWORD_FILE ? readFileSync(env.NATS_PASSWORD_FILE, 'utf8').trim() : env.NATS_PASSWORD;
  return { user: env.NATS_USER, password, inboxPrefix: env.NATS_INBOX_PREFIX };
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
        if (!process.env.NATS_EMBEDDED_DIR) {
          throw new UsageError(
            'emitter users are issued here only on embedded defaults (npm start); on a deployed NATS they are users of its configuration (docs/nats-security.md)',
          );
        }
        const identity = await emitterIdentity(org);
        out.result({ organizationId: org, natsUrl: process.env.NATS_URL, ...identity }, () => [
          `NATS_URL=${process.env.NATS_URL ?? ''}`,
          `NATS_USER=${identity.user ?? ''}`,
          `NATS_PASSWORD=${identity.password ?? ''}`,
          `NATS_INBOX_PREFIX=${identity.inboxPrefix ?? ''}`,
          `# publishes only audit.ingest.${org}; pass user, password and inboxPrefix to createAuditClient({ natsUrl, ... })`,
        ]);
      }),
    );
}
