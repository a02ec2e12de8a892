import { CanActivate, createParamDecorator, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '@audit/platform';
import { ApiKeysService, type IngestPrincipal } from './api-keys.service';
import { InvalidTokenError, type TokenPrincipal } from './token-claims';
import { TokensService } from './tokens.service';
import { VerifiedTokenCache } from './verified-token-cache';

type AuthedRequest = FastifyRequest & { ingestPrincipal?: IngestPrincipal; tokenPrincipal?: TokenPrincipal };

/**
 * The value of a header that carries a credential (`name` in lower case), refusing a request that sends it
 * more than once: Node keeps only the first `Authorization` and joins repeated `X-Api-Key` values with a
 * comma, so either reading would act on a credential the sender never singled out (and a proxy in front
 * may have read the other one).
 */
function credentialHeader(req: FastifyRequest, name: 'authorization' | 'x-api-key', shown: string): string | undefined {
  const raw = req.raw.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === name) count++;
  if (count > 1) {
    throw new AppError('BAD_REQUEST', `the request carries ${count} ${shown} headers; send exactly one`, [
      { path: `headers.${name}`, reason: `is sent ${count} times; send exactly one` },
    ]);
  }
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** `Authorization: Bearer <credential>`: the one header of admin tokens, and the first of ingest keys. */
export function bearerOf(req: FastifyRequest): string | undefined {
  const header = credentialHeader(req, 'authorization', 'Authorization');
  if (header === undefined) return undefined;
  return /^Bearer\s+(\S+)$/i.exec(header.trim())?.[1];
}

/** An ingest key: `Authorization: Bearer <key>` or `X-Api-Key: <key>` (ingest's routes only). */
function ingestKeyOf(req: FastifyRequest): string | undefined {
  const bearer = bearerOf(req);
  if (bearer) return bearer;
  const apiKey = credentialHeader(req, 'x-api-key', 'X-Api-Key');
  return apiKey !== undefined && apiKey.length > 0 ? apiKey : undefined;
}

/** Admits a request carrying an active ingest key and records the key's organization. */
@Injectable()
export class IngestKeyGuard implements CanActivate {
  constructor(private readonly keys: ApiKeysService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const credential = ingestKeyOf(req);
    if (!credential) throw new AppError('UNAUTHENTICATED', 'an ingest API key is required (Authorization: Bearer <key>)');
    const principal = await this.keys.verify(credential);
    if (!principal) throw new AppError('UNAUTHENTICATED', 'the API key is unknown or revoked');
    req.ingestPrincipal = principal;
    return true;
  }
}

/**
 * Admits only a valid bearer token with `role: admin`; the token's `org` is the only tenant the request may read.
 * A token verified once is trusted until its `exp` (at most a minute, see {@link VerifiedTokenCache}).
 * The token is read from `Authorization: Bearer` only: a token in `X-Api-Key` (the ingest keys' header) is
 * not looked at, so each credential works only where it is documented.
 */
@Injectable()
export class AdminGuard implements CanActivate {
  private readonly verified = new VerifiedTokenCache();

  constructor(private readonly tokens: TokensService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    const credential = bearerOf(req);
    if (!credential) {
      const hint = req.headers['x-api-key'] === undefined ? '' : '; X-Api-Key carries ingest keys and is not read here';
      throw new AppError('UNAUTHENTICATED', `a bearer token is required (Authorization: Bearer <token>)${hint}`);
    }
    const principal = this.verified.get(credential) ?? (await this.verify(credential));
    if (principal.role !== 'admin') throw new AppError('FORBIDDEN', 'audit data is readable by organization administrators only');
    req.tokenPrincipal = principal;
    // Every answer of an admin route holds audit data (or says something about it): no cache, shared or
    // the browser's own, may keep a copy after the administrator's session ends.
    context.switchToHttp().getResponse<FastifyReply>().header('Cache-Control', 'no-store');
    return true;
  }

  private async verify(credential: string): Promise<TokenPrincipal> {
    let principal: TokenPrincipal;
    try {
      principal = Object.freeze(await this.tokens.verify(credential));
    } catch (error) {
      if (error instanceof InvalidTokenError) throw new AppError('UNAUTHENTICATED', error.message);
      throw error;
    }
    this.verified.remember(credential, principal);
    return principal;
  }
}

/** The ingest key's principal, set by {@link IngestKeyGuard}. */
export const IngestAuth = createParamDecorator((_data: unknown, context: ExecutionContext): IngestPrincipal => {
  const principal = context.switchToHttp().getRequest<AuthedRequest>().ingestPrincipal;
  if (!principal) throw new Error('IngestAuth used on a route without IngestKeyGuard');
  return principal;
});

/** The administrator's principal, set by {@link AdminGuard}. */
export const AdminAuth = createParamDecorator((_data: unknown, context: ExecutionContext): TokenPrincipal => {
  const principal = context.switchToHttp().getRequest<AuthedRequest>().tokenPrincipal;
  if (!principal) throw new Error('AdminAuth used on a route without AdminGuard');
  return principal;
});
