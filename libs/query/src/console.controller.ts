import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { send, type SendOptions } from '@fastify/send';
import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AUTH_CONFIG, type AuthConfig } from '@audit/auth';
import { QUERY_CONFIG, type QueryConfig } from './config';

/**
 * The console talks to this origin only (and, with single sign-on, to the identity provider's, for its
 * discovery document and token endpoint); it is never framed, and never leaks its URL (which holds filters).
 */
export function securityHeaders(identityProvider?: string): Record<string, string> {
  const connect = identityProvider ? `'self' ${new URL(identityProvider).origin}` : "'self'";
  return {
    'Content-Security-Policy': `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src ${connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  };
}

/**
 * `GET /audit`: the console's built files. Hashed assets are cached for good; any other path under
 * /audit is a client-side route and gets index.html. No credential is needed to load the page: the
 * administrator's token is entered in the page and sent only with API calls.
 */
@Controller('audit')
export class ConsoleController {
  private readonly headers: Record<string, string>;

  constructor(@Inject(QUERY_CONFIG) private readonly config: QueryConfig, @Inject(AUTH_CONFIG) auth: AuthConfig) {
    this.headers = securityHeaders(auth.oidc?.issuer);
  }

  @Get()
  async index(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.sendIndex(req, reply);
  }

  // find-my-way's wildcard: every path below /audit.
  @Get('*')
  async file(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    // Fastify has refused a malformed escape already (400), so this decodes.
    const relative = decodeURIComponent(req.url.split('?')[0].replace(/^\/audit\/?/, ''));
    const root = this.config.consoleDir;
    const file = path.resolve(root, relative);
    const inside = file.startsWith(root + path.sep);
    if (inside && existsSync(file) && statSync(file).isFile()) {
      const hashed = relative.startsWith('assets/');
      return this.sendFile(req, reply, file, { maxAge: hashed ? '365d' : 0, immutable: hashed, dotfiles: 'deny' });
    }
    // A missing asset is a 404; a client-side route (no extension) is the app itself.
    if (path.extname(relative) !== '') {
      await reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no file ${relative}` } });
      return;
    }
    return this.sendIndex(req, reply);
  }

  private async sendIndex(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const index = path.join(this.config.consoleDir, 'index.html');
    if (!existsSync(index)) {
      await reply.status(503).send({ error: { code: 'CONSOLE_NOT_BUILT', message: `the console is not built (no ${index}): run npm run build:console` } });
      return;
    }
    await this.sendFile(req, reply, index, { cacheControl: false }, { 'Cache-Control': 'no-cache' });
  }

  /** The file with its validators (ETag, Last-Modified: a 304 when unchanged) and the page's security headers. */
  private async sendFile(req: FastifyRequest, reply: FastifyReply, file: string, options: SendOptions, extra: Record<string, string> = {}): Promise<void> {
    const { statusCode, headers, stream } = await send(req.raw, file, options);
    await reply.status(statusCode).headers({ ...headers, ...this.headers, ...extra }).send(stream);
  }
}
