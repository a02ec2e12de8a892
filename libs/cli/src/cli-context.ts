import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Command, OptionValues } from 'commander';
import { AuthModule } from '@audit/auth';
import { ClickHouseModule } from '@audit/clickhouse';
import type { EmbeddedNeeds } from '@audit/embedded';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { JsonLogger } from '@audit/platform';
import { ProjectionRebuildModule } from '@audit/projector';
import { StreamChangesModule, StreamsCoreModule } from '@audit/streams';
import { SettingsUseCasesModule } from '@audit/settings';
import { createOutput, type Output } from './output';

/** What the commands read from the context: Postgres' repositories and the credentials. */
@Module({ imports: [PersistenceModule, AuthModule, StreamsCoreModule] })
class CliModule {}

@Module({ imports: [PersistenceModule, AuthModule, ClickHouseModule, ProjectionRebuildModule] })
class CliAnalyticsModule {}

/** Changes of settings and streams are recorded on the bus, as the APIs record them: the same use cases. */
@Module({ imports: [PersistenceModule, AuthModule, MessagingModule, SettingsUseCasesModule, StreamsCoreModule, StreamChangesModule] })
class CliSettingsModule {}

/** Where the CLI writes; a test passes its own to read what a person would see. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIo: CliIo = { stdout: (t) => void process.stdout.write(t), stderr: (t) => void process.stderr.write(t) };

/**
 * Makes the servers a command needs reachable (on embedded defaults: the running platform's, or started
 * for the command) and returns how to let them go. Called once, after the command's options were accepted.
 */
export type PrepareServers = (needs: EmbeddedNeeds) => Promise<() => Promise<void>>;

/** What a command declares it needs besides ClickHouse, which a command opens itself when it uses it. */
export const NEEDS = {
  nothing: { postgres: false, nats: false },
  postgres: { postgres: true, nats: false },
  nats: { postgres: false, nats: true },
  both: { postgres: true, nats: true },
} as const satisfies Record<string, EmbeddedNeeds>;

/**
 * One CLI run: its output (JSON or lines), the servers its command needs, and the Nest application
 * context (providers without HTTP or consumers) opened on first use. ClickHouse is opened only for the
 * commands that read it: embedded chDB binds its data directory to one process, which may be the
 * running platform.
 */
export class CliSession {
  private out?: Output;
  private release?: () => Promise<void>;
  private ctx?: Promise<INestApplicationContext>;

  constructor(
    readonly io: CliIo,
    private readonly prepare: PrepareServers,
  ) {}

  /** The command was parsed and accepted: fix the output mode and bring up what it needs. */
  async begin(command: Command, needs: EmbeddedNeeds): Promise<Output> {
    this.out = createOutput(command.optsWithGlobals<{ json?: boolean }>().json === true, this.io.stdout);
    this.release = await this.prepare(needs);
    return this.out;
  }

  get json(): boolean {
    return this.out?.json ?? false;
  }

  /** `settings`: with the bus, for the commands that change a setting and so record an event (NEEDS.both). */
  context(withClickHouse = false, settings = false): Promise<INestApplicationContext> {
    const root = settings ? CliSettingsModule : withClickHouse ? CliAnalyticsModule : CliModule;
    this.ctx ??= NestFactory.createApplicationContext(root, { logger: new JsonLogger('cli', 'warn') });
    return this.ctx;
  }

  /** Progress for people, on stderr: stdout stays the command's result. */
  progress(text: string): void {
    this.io.stderr(text);
  }

  async close(): Promise<void> {
    try {
      if (this.ctx) await (await this.ctx.catch(() => undefined))?.close();
    } finally {
      await this.release?.();
    }
  }
}

/**
 * A command's action, run once its options were accepted: declares what servers it needs (started, on
 * embedded defaults, only then) and gets the run's output. Commander hands the options object and the
 * command itself after the positional arguments.
 */
export type Action<O extends OptionValues> = (args: { options: O; positionals: string[]; out: Output; session: CliSession }) => Promise<void>;

export function action<O extends OptionValues>(
  session: CliSession,
  needs: EmbeddedNeeds | ((options: O) => EmbeddedNeeds),
  run: Action<O>,
): (...params: unknown[]) => Promise<void> {
  return async (...params) => {
    const command = params[params.length - 1] as Command;
    const options = command.opts<O>();
    const out = await session.begin(command, typeof needs === 'function' ? needs(options) : needs);
    await run({ options, positionals: command.processedArgs as string[], out, session });
  };
}
