import 'reflect-metadata';
import type { Server } from 'node:net';
import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConfigError, readConfig } from './config';
import { AppErrorFilter, errorBody } from './errors';
import { EXIT_GRACE_MS, exitWhenSafe } from './exit-guard';
import { answerLivenessFirst } from './health';
import { drainOnClose } from './http-drain';
import { observeRequests } from './http-metrics';
import { acceptJsonBodiesOnly } from './json-body';
import { listeningUrl } from './listening-url';
import { JsonLogger } from './logger';

/** How long the HTTP server waits on a client, in milliseconds (see the README's HTTP_* variables). */
export interface HttpTimeouts {
  /** The whole request (headers and body) must have arrived within this; else 408 and the connection closed. */
  requestMs: number;
  /** The request's headers must have arrived within this (at most `requestMs`). */
  headersMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
  /** A connection on which nothing moves for this long is closed (longer than any answer may think). */
  connectionMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = Object.freeze({ requestMs: 30_000, headersMs: 10_000, keepAliveMs: 72_000, connectionMs: 120_000 });

/** A closing server waits at most this long (or the request timeout, if shorter) for requests still arriving. */
const MAX_WAIT_FOR_ARRIVING_REQUESTS_MS = 10_000;

export interface HttpConfig {
  port: number;
  host: string;
  bodyLimitBytes: number;
  /** {@link DEFAULT_HTTP_TIMEOUTS} when absent. */
  timeouts?: HttpTimeouts;
  /**
   * How long a graceful shutdown may take (SHUTDOWN_TIMEOUT, default 25s: under Kubernetes' 30 s grace
   * period) before the process gives up waiting, says so and exits non-zero (once no embedded ClickHouse
   * statement runs, or killed EXIT_GRACE_MS later: see exitWhenSafe).
   */
  shutdownTimeoutMs?: number;
}

export const readHttpConfig = (source: Record<string, string | undefined> = process.env): HttpConfig =>
  readConfig((env) => {
    const timeouts: HttpTimeouts = {
      requestMs: env.timer('HTTP_REQUEST_TIMEOUT', '30s'),
      headersMs: env.timer('HTTP_HEADERS_TIMEOUT', '10s'),
      keepAliveMs: env.timer('HTTP_KEEP_ALIVE_TIMEOUT', '72s'),
      connectionMs: env.timer('HTTP_CONNECTION_TIMEOUT', '120s'),
    };
    // 0 would mean "wait forever" to Node: exactly the slow client these limits are for.
    for (const [name, ms] of [['HTTP_REQUEST_TIMEOUT', timeouts.requestMs], ['HTTP_HEADERS_TIMEOUT', timeouts.headersMs], ['HTTP_KEEP_ALIVE_TIMEOUT', timeouts.keepAliveMs], ['HTTP_CONNECTION_TIMEOUT', timeouts.connectionMs]] as const) {
      if (ms < 1000) env.problem(`${name} must be at least 1s (got ${ms} ms)`);
    }
    if (timeouts.headersMs > timeouts.requestMs) env.problem('HTTP_HEADERS_TIMEOUT must not exceed HTTP_REQUEST_TIMEOUT');
    return {
      port: env.int('PORT', 3000, { min: 0, max: 65535 }),
      host: env.string('HOST', '0.0.0.0'),
      bodyLimitBytes: env.int('BODY_LIMIT_BYTES', 5 * 1024 * 1024, { min: 1024 }),
      timeouts,
      shutdownTimeoutMs: env.timer('SHUTDOWN_TIMEOUT', '25s'),
    };
  }, source);

/**
 * Creates a Nest HTTP application the way every service runs: JSON logs, JSON bodies up to the
 * configured limit, one error shape, shutdown hooks that drain consumers before the process exits.
 *
 * On Fastify rather than Express: the same route, guard and filter code answers ~0.2 ms sooner a
 * request on a 2-core machine (bench:query's floor column shows what is left above bare node:http),
 * and no response body is hashed for an ETag.
 */
export async function createHttpApp(rootModule: Type<unknown>, name: string, http: HttpConfig = readHttpConfig()): Promise<NestFastifyApplication> {
  const logger = new JsonLogger(name);
  const timeouts = http.timeouts ?? DEFAULT_HTTP_TIMEOUTS;
  const adapter = new FastifyAdapter({
    bodyLimit: http.bodyLimitBytes,
    // A client trickling its request (a byte every few seconds) is answered 408 and cut once the whole
    // request has not arrived within requestMs; Node checks every connectionsCheckingInterval, so that
    // runs well below the timeout rather than at Node's 30 s.
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.connectionMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: {
      requestTimeout: timeouts.requestMs,
      headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
      connectionsCheckingInterval: Math.min(1_000, timeouts.headersMs),
    },
    // `/v1/events/` is `/v1/events`, as clients (and the services under Express) have always had it.
    routerOptions: { ignoreTrailingSlash: true },
    // A URL Fastify cannot route (a malformed %-escape) is refused before Nest sees it: in our error shape.
    frameworkErrors: (error: Error, _req: FastifyRequest, reply: FastifyReply) => void reply.status(400).send(errorBody('BAD_REQUEST', error.message)),
  });
  // Fastify closes the connection after refusing a body (413, bad JSON) while the client may still be
  // sending it: fetch then reports a broken pipe, never the answer. Kept open, Node reads and drops the
  // rest of the body and the client gets its 413 with the error body.
  adapter.getInstance().addHook('onSend', (_req, reply, payload, done) => {
    if (reply.statusCode >= 400 && reply.getHeader('connection') === 'close') reply.removeHeader('connection');
    done(null, payload);
  });
  // Closing, the server answers what has arrived and stops waiting, after a while, on what has not: Node's
  // server.close() stops the checker that would time such a request out (see drainOnClose).
  const beginDrain = drainOnClose(adapter.getInstance().server, { cutAfterMs: Math.min(timeouts.requestMs, MAX_WAIT_FOR_ARRIVING_REQUESTS_MS) });
  adapter.getInstance().addHook('preClose', (done) => {
    beginDrain();
    done();
  });
  observeRequests(adapter.getInstance());
  answerLivenessFirst(adapter.getInstance());
  acceptJsonBodiesOnly(adapter.getInstance());
  // Strict-UTF-8 JSON only (see acceptJsonBodiesOnly) within bodyLimit; Nest's parsers would add url-encoded forms.
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, { logger, bodyParser: false });
  app.useGlobalFilters(new AppErrorFilter());
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
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
    let closing = false;
    const shutdown = (signal: string): void => {
      if (closing) return;
      closing = true;
      logger.log({ msg: 'shutting down', signal });
      const timeoutMs = http.shutdownTimeoutMs ?? 25_000;
      const deadlineAt = Date.now() + timeoutMs;
      // A step that never finishes (a connection that never closes, a drain that never ends) must not keep
      // the process alive until the orchestrator's SIGKILL: give up, say so, and exit non-zero.
      const deadline = setTimeout(() => {
        logger.error({ msg: 'shutdown did not finish in time; exiting', timeoutMs });
        exit(1);
      }, timeoutMs);
      deadline.unref();
      // Whichever comes first, the end of the shutdown or its deadline, decides the code. Never process.exit
      // under a running embedded ClickHouse statement (it crashes the process): wait for it until the
      // deadline and a short grace past it.
      let exiting = false;
      const exit = (code: number): void => {
        if (exiting) return;
        exiting = true;
        clearTimeout(deadline);
        void exitWhenSafe(code, Math.max(0, deadlineAt - Date.now()) + EXIT_GRACE_MS, logger);
      };
      app
        .close()
        .then(() => options.afterClose?.())
        .then(
          () => exit(0),
          (error: unknown) => {
            logger.error(error instanceof Error ? error : String(error));
            exit(1);
          },
        );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    // Announced only once a signal would be handled: whoever waits for this line may send SIGTERM at once.
    // The bound address, not the configured one: with PORT=0 the kernel picks the port.
    const url = listeningUrl((app.getHttpServer() as Server).address());
    logger.log({ msg: `${name} listening`, url });
    for (const line of options.banner?.(url) ?? []) process.stderr.write(`${line}\n`);
    return app;
  } catch (error) {
    await options.afterClose?.().catch(() => undefined);
    return exitOnStartupError(logger, error);
  }
}

/**
 * Logs why the service could not start and exits 1, through {@link exitWhenSafe} as every other exit does:
 * a start that fails while an embedded ClickHouse statement runs (a migration, a consumer's first batch in
 * another thread) waits for it, up to EXIT_GRACE_MS, rather than crashing the process under it.
 */
export function exitOnStartupError(logger: JsonLogger, error: unknown): Promise<never> {
  if (error instanceof ConfigError) {
    logger.fatal({ msg: error.message, problems: error.problems });
  } else {
    logger.fatal(error instanceof Error ? error : String(error));
  }
  return exitWhenSafe(1, EXIT_GRACE_MS, logger);
}
