import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenPrincipal } from '@audit/auth';
import { MessagingModule, type Activity } from '@audit/messaging';
import { AppError, clientIp, errorBody, httpStatusOf } from '@audit/platform';
import { READ_AUDIT_CONFIG, readReadAuditConfig, type ReadAuditConfig } from './config';
import { ReadRecorder } from './read-recorder';

/** Query strings beyond this are summarised, so the event stays far below the 32 KiB metadata limit. */
const MAX_QUERY_JSON = 8_192;

type AdminRequest = FastifyRequest & { tokenPrincipal?: TokenPrincipal };

/** The PAGE_VIEW of an administrator's read: page "audit", the path and the filters it was asked with. */
export function readActivity(req: AdminRequest, admin: TokenPrincipal): Activity {
  // A plain copy: Fastify's parsed query has no prototype.
  const query = { ...(req.query as Record<string, unknown> | undefined) };
  return {
    organizationId: admin.organizationId,
    actionType: 'PAGE_VIEW',
    userId: admin.userId,
    pageName: 'audit',
    ipAddress: clientIp(req.ip),
    // Not `query`: that key holds the SQL of query runs, which free-text search and the console read.
    metadata: { path: req.url.split('?')[0], filters: JSON.stringify(query).length <= MAX_QUERY_JSON ? query : { truncated: true } },
  };
}

/**
 * Audits the auditors: every successful GET by an administrator (the principal AdminGuard set)
 * becomes a PAGE_VIEW event with pageName "audit" in that administrator's organization.
 *
 * A Fastify onSend hook: it runs once the answer is built and before any of it is sent, and holds the
 * answer until the read's event is acked by the bus. A read that cannot be recorded is not served: the
 * data is replaced by `503 BUS_UNAVAILABLE` (retry), so no administrator sees audit data unaudited. No
 * request goes through Nest's middleware or interceptor chains for it. `AUDIT_READS=false` turns it off.
 * Needs an application made by createHttpApp (the hook is added before Fastify is ready).
 */
@Module({
  imports: [MessagingModule],
  providers: [{ provide: READ_AUDIT_CONFIG, useFactory: () => readReadAuditConfig() }, ReadRecorder],
})
export class ReadAuditModule implements OnModuleInit {
  constructor(
    @Inject(READ_AUDIT_CONFIG) private readonly config: ReadAuditConfig,
    private readonly reads: ReadRecorder,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    if (!this.config.auditReads) return;
    this.adapterHost.httpAdapter.getInstance<FastifyInstance>().addHook('onSend', (req, reply, payload) => this.answering(req as AdminRequest, reply, payload));
  }

  private async answering(req: AdminRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const admin = req.tokenPrincipal;
    // Only reads answered with data: refused (4xx) and failed (5xx) ones showed nothing, HEAD shows no body.
    if (!admin || req.method !== 'GET' || reply.statusCode < 200 || reply.statusCode >= 300) return payload;
    try {
      await this.reads.add(readActivity(req, admin));
      return payload;
    } catch (error) {
      // Fail closed: what was about to be shown is dropped and the client is told to ask again.
      (payload as { destroy?: () => void } | null)?.destroy?.();
      // Why it failed is in ReadRecorder's log; the client only needs to know to ask again.
      const code = error instanceof AppError ? error.code : 'BUS_UNAVAILABLE';
      const message = 'the read could not be recorded in the audit trail, so it is not served: try again shortly';
      reply.code(httpStatusOf(code)).header('content-type', 'application/json; charset=utf-8').header('retry-after', '1');
      reply.removeHeader('content-length');
      reply.removeHeader('content-disposition');
      return JSON.stringify(errorBody(code, message));
    }
  }
}
