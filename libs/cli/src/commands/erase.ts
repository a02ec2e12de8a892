import { userInfo } from 'node:os';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Option, type Command } from 'commander';
import { AuthModule } from '@audit/auth';
import { ClickHouseModule } from '@audit/clickhouse';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { JsonLogger, PlatformModule } from '@audit/platform';
import { EraseUser, ErasureModule } from '@audit/query';
import { action, NEEDS, type CliSession } from '../cli-context';
import { nonEmpty, orgOption } from '../options';

/** Erasure records itself on the bus and empties both stores: Postgres, NATS and ClickHouse. */
@Module({ imports: [PlatformModule, MessagingModule, PersistenceModule, AuthModule, ClickHouseModule, ErasureModule] })
class EraseCliModule {}

/** `erase --org <org> --user <id>`: what `POST /v1/erasures` does, from the command line. */
export function eraseCommand(program: Command, session: CliSession): void {
  program
    .command('erase')
    .description("erase a person's data (e-mail and name, and the content of their events) from Postgres and ClickHouse; the log's proofs stay valid")
    .addOption(orgOption().makeOptionMandatory())
    .addOption(new Option('--user <id>', 'the user id whose data goes').argParser(nonEmpty(256)).makeOptionMandatory())
    .addHelpText('after', '\nRecorded as an UPDATE_ORGANIZATION event and listed by GET /v1/erasures.\n\nExamples:\n  $ npm run cli -- erase --org acme --user u-42')
    .action(
      action<{ org: string; user: string }>(session, NEEDS.both, async ({ options, out }) => {
        const app = await NestFactory.createApplicationContext(EraseCliModule, { logger: new JsonLogger('cli', 'warn') });
        try {
          const record = await app.get(EraseUser).run({
            organizationId: options.org,
            userId: options.user,
            requestedBy: `cli:${userInfo().username}`,
            actorUserId: null,
            ipAddress: null,
          });
          out.result({ ...record, erasedAt: record.erasedAt.toISOString() }, () => [
            `erased user "${options.user}" of "${options.org}": ${record.events} events emptied (erasure ${record.id})`,
          ]);
        } finally {
          await app.close();
        }
      }),
    );
}
