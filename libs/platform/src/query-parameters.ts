import { applyDecorators, Injectable, SetMetadata, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { QueryReader } from './query-reader';

const ALLOWED = 'audit:query-parameters';

/** Refuses a request whose query holds a parameter its route does not take (see {@link QueryParameters}). */
@Injectable()
export class QueryParametersGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const allowed = this.reflector.get<readonly string[] | undefined>(ALLOWED, context.getHandler()) ?? [];
    // A plain copy: Fastify's parsed query has no prototype.
    new QueryReader({ ...(context.switchToHttp().getRequest<FastifyRequest>().query as Record<string, unknown>) }, allowed).done();
    return true;
  }
}

/**
 * The query parameters a route takes (none when called without any): any other is a 400 naming it, as the
 * routes that read their query with {@link QueryReader} answer. A route that ignored its query answered a
 * misspelt or unsupported parameter (`?limit=5` where there is no limit) as if it had been applied. Runs
 * after the class's guards, so an unauthenticated request is still a 401.
 */
export function QueryParameters(...allowed: string[]): MethodDecorator {
  return applyDecorators(SetMetadata(ALLOWED, allowed), UseGuards(QueryParametersGuard));
}
