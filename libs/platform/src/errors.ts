import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';

/** Every failure a client can be told about, by code. */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'BAD_REQUEST'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'GONE'
  | 'PAYLOAD_TOO_LARGE'
  | 'BUS_UNAVAILABLE'
  | 'DATABASE_UNAVAILABLE'
  | 'QUERY_TIMEOUT';

/** A typed application error; the HTTP layer maps its code to a status, use cases never pick one. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
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
    case 'BUS_UNAVAILABLE':
    case 'DATABASE_UNAVAILABLE':
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

/** Maps typed errors, Nest's HTTP exceptions and body-parser failures to the error body; logs the rest. */
@Catch()
export class AppErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof AppError) {
      const status = httpStatusOf(exception.code);
      if (status === HttpStatus.SERVICE_UNAVAILABLE) res.setHeader('Retry-After', '1');
      res.status(status).json(errorBody(exception.code, exception.message, exception.details));
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      res.status(status).json(errorBody(codeForStatus(status), exception.message));
      return;
    }
    // Body-parser failures reach here from Nest's own error handler, before any route ran.
    const { type, status } = (exception ?? {}) as { type?: unknown; status?: unknown };
    if (type === 'entity.too.large') {
      res.status(413).json(errorBody('PAYLOAD_TOO_LARGE', 'request body is too large'));
      return;
    }
    if (typeof type === 'string' && typeof status === 'number' && status >= 400 && status < 500) {
      res.status(status).json(errorBody(codeForStatus(status), type === 'entity.parse.failed' ? 'request body is not valid JSON' : type));
      return;
    }
    this.logger.error(exception instanceof Error ? exception : String(exception));
    res.status(500).json(errorBody('INTERNAL', 'internal error'));
  }
}

function codeForStatus(status: number): string {
  if (status === 404) return 'NOT_FOUND';
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 413) return 'PAYLOAD_TOO_LARGE';
  return status >= 500 ? 'INTERNAL' : 'BAD_REQUEST';
}
