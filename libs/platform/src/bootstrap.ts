import 'reflect-metadata';
import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError, readConfig } from './config';
import { AppErrorFilter } from './errors';
import { JsonLogger } from './logger';

export interface HttpConfig {
  port: number;
  host: string;
  bodyLimitBytes: number;
}

export const readHttpConfig = (): HttpConfig =>
  readConfig((env) => ({
    port: env.int('PORT', 3000, { min: 0, max: 65535 }),
    host: env.string('HOST', '0.0.0.0'),
    bodyLimitBytes: env.int('BODY_LIMIT_BYTES', 5 * 1024 * 1024, { min: 1024 }),
  }));

/**
 * Creates a Nest HTTP application the way every service runs: JSON logs, JSON bodies up to the
 * configured limit, one error shape, shutdown hooks that drain consumers before the process exits.
 */
export async function createHttpApp(rootModule: Type<unknown>, name: string, http: HttpConfig = readHttpConfig()): Promise<INestApplication> {
  const logger = new JsonLogger(name);
  const app = await NestFactory.create<NestExpressApplication>(rootModule, { logger, bodyParser: false });
  app.useBodyParser('json', { limit: http.bodyLimitBytes, strict: false });
  // No client of this API revalidates with If-None-Match, so hashing every response body (an hourly
  // series is ~1 MB) for an ETag is pure cost: the generator of body ETags gives none. Static files
  // (the console) keep theirs, from their size and mtime, since the setting stays enabled.
  app.set('etag', () => undefined);
  app.useGlobalFilters(new AppErrorFilter());
  await app.init();
  return app;
}

export interface RunOptions {
  /** Runs after the application closed (consumers drained, connections closed), before the process exits. */
  afterClose?: () => Promise<void>;
  /** Printed once the service listens, e.g. how to get a key. */
  banner?: (url: string) => string[];
}

/**
 * Boots a service's module, listens, and turns a configuration error into a clear exit.
 * SIGTERM/SIGINT close the application, which stops consumers and finishes their in-flight batch.
 */
export async function runHttpService(rootModule: Type<unknown>, name: string, options: RunOptions = {}): Promise<INestApplication | undefined> {
  const logger = new JsonLogger(name);
  try {
    const http = readHttpConfig();
    const app = await createHttpApp(rootModule, name, http);
    await app.listen(http.port, http.host);
    const url = `http://${http.host === '0.0.0.0' ? '127.0.0.1' : http.host}:${http.port}`;
    logger.log({ msg: `${name} listening`, url });
    for (const line of options.banner?.(url) ?? []) process.stderr.write(`${line}\n`);
    let closing = false;
    const shutdown = (signal: string): void => {
      if (closing) return;
      closing = true;
      logger.log({ msg: 'shutting down', signal });
      app
        .close()
        .then(() => options.afterClose?.())
        .then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error(error instanceof Error ? error : String(error));
            process.exit(1);
          },
        );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    return app;
  } catch (error) {
    await options.afterClose?.().catch(() => undefined);
    exitOnStartupError(logger, error);
  }
}

export function exitOnStartupError(logger: JsonLogger, error: unknown): never {
  if (error instanceof ConfigError) {
    logger.fatal({ msg: error.message, problems: error.problems });
  } else {
    logger.fatal(error instanceof Error ? error : String(error));
  }
  process.exit(1);
}
