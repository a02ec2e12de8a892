import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Every failure a client can be told about, by code. */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'GONE'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'RATE_LIMITED'
  | 'TOO_MANY_REQUESTS'
  | 'BUS_UNAVAILABLE'
  | 'OVERLOADED'
  | 'DATABASE_UNAVAILABLE'
  | 'IDENTITY_PROVIDER_UNAVAILABLE'
  | 'QUERY_TIMEOUT';

/** A typed application error; the HTTP layer maps its code to a status, use cases never pick one. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    /** Seconds after which asking again may succeed: sent as `Retry-After` with a 429 or 503. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case 'VALIDATION_FAILED':
    case 'BAD_REQUEST':
      return HttpStatus.BAD_REQUEST;
    case 'UNAUTHENTICATED':
      return HttpStatus.UNAUTHORIZED;
    case 'FORBIDDEN':
      return HttpStatus.FORBIDDEN;
    case 'NOT_FOUND':
      return HttpStatus.NOT_FOUND;
    case 'GONE':
      return HttpStatus.GONE;
    case 'PAYLOAD_TOO_LARGE':
      return HttpStatus.PAYLOAD_TOO_LARGE;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return HttpStatus.UNSUPPORTED_MEDIA_TYPE;
    // Over a rate (ingest) or a bounded resource (open live tails): asking again later may succeed.
    case 'RATE_LIMITED':
    case 'TOO_MANY_REQUESTS':
      return HttpStatus.TOO_MANY_REQUESTS;
    // A dependency is down, or the service itself is behind (ingest shedding load): asking again later may succeed.
    case 'BUS_UNAVAILABLE':
    case 'DATABASE_UNAVAILABLE':
    case 'IDENTITY_PROVIDER_UNAVAILABLE':
    case 'OVERLOADED':
      return HttpStatus.SERVICE_UNAVAILABLE;
    // The database was reachable but the read outgrew its time: asking again unchanged will not help.
    case 'QUERY_TIMEOUT':
      return HttpStatus.GATEWAY_TIMEOUT;
    default:
      return assertNever(code);
  }
}

export function assertNever(value: never): never {
  throw new Error(`unreachable: ${String(value)}`);
}

/** The one error body shape of the HTTP surface: `{ error: { code, message, details? } }`. */
export function errorBody(code: string, message: string, details?: unknown): { error: Record<string, unknown> } {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** Maps typed errors, Nest's HTTP exceptions and request-parsing failures to the error body; logs the rest. */
@Catch()
export class AppErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    // The client went away, or was cut by HTTP_REQUEST_TIMEOUT (Node answered 408 itself), while its body
    // was still arriving: the client's doing, not a fault of the service, and nobody is left to answer.
    // (Duck-typed: the error comes from Node's own realm, which is not always this code's. The request
    // itself must be gone: a connection reset by a store the service was reading is the service's fault.)
    if (isClientAbort(exception) && host.switchToHttp().getRequest<FastifyRequest>().raw.destroyed) {
      this.logger.warn({ msg: 'request body not received whole: the client closed or was cut', error: exception.message });
      if (!reply.sent) void reply.status(400).send(errorBody('BAD_REQUEST', 'the request body was not received whole'));
      return;
    }
    if (reply.sent) {
      // A streamed answer failed after its status went out: all that is left is to say so in the log.
      this.logger.error(exception instanceof Error ? exception : String(exception));
      return;
    }
    if (exception instanceof AppError) {
      const status = httpStatusOf(exception.code);
      if (status === HttpStatus.SERVICE_UNAVAILABLE || status === HttpStatus.TOO_MANY_REQUESTS) {
        reply.header('Retry-After', String(exception.retryAfterSeconds ?? (exception.code === 'TOO_MANY_REQUESTS' ? 5 : 1)));
      }
      void reply.status(status).send(errorBody(exception.code, exception.message, exception.details));
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const message =
        status === HttpStatus.UNSUPPORTED_MEDIA_TYPE
          ? `request bodies are JSON: send Content-Type: application/json (got ${host.switchToHttp().getRequest<FastifyRequest>().headers['content-type'] ?? 'none'})`
          : exception.message;
      void reply.status(status).send(errorBody(codeForStatus(status), message));
      return;
    }
    // Fastify's JSON parser fails with the SyntaxError itself (status 400 attached), before any route ran.
    const { statusCode } = (exception ?? {}) as { statusCode?: unknown };
    if (exception instanceof SyntaxError && statusCode === 400) {
      void reply.status(400).send(errorBody('BAD_REQUEST', 'request body is not valid JSON'));
      return;
    }
    this.logger.error(exception instanceof Error ? exception : String(exception));
    void reply.status(500).send(errorBody('INTERNAL', 'internal error'));
  }
}

function isClientAbort(exception: unknown): exception is { code: 'ECONNRESET'; message: string } {
  return typeof exception === 'object' && exception !== null && (exception as { code?: unknown }).code === 'ECONNRESET';
}

function codeForStatus(status: number): string {
  if (status === 404) return 'NOT_FOUND';
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  if (status === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  return status >= 500 ? 'INTERNAL' : 'BAD_REQUEST';
}
