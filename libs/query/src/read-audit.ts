import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenPrincipal } from '@audit/auth';
import type { Activity } from '@audit/messaging';
import { clientIp } from '@audit/platform';
import { QUERY_CONFIG, readQueryConfig, type QueryConfig } from './config';
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
 * A Fastify onResponse hook: it runs once the answer has been handed to the socket, so no response
 * waits for building, publishing or acknowledging its event, and no request goes through Nest's
 * middleware or interceptor chains for it. Recording is best effort: a read is not refused because
 * the bus is down, but the miss is logged and counted. `AUDIT_READS=false` turns it off. Needs
 * MessagingModule and an application made by createHttpApp (the hook is added before Fastify is ready).
 */
@Module({
  providers: [{ provide: QUERY_CONFIG, useFactory: () => readQueryConfig() }, ReadRecorder],
  exports: [QUERY_CONFIG],
})
export class ReadAuditModule implements OnModuleInit {
  constructor(
    @Inject(QUERY_CONFIG) private readonly config: QueryConfig,
    private readonly reads: ReadRecorder,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    if (!this.config.auditReads) return;
    this.adapterHost.httpAdapter.getInstance<FastifyInstance>().addHook('onResponse', (req, reply, done) => {
      this.answered(req as AdminRequest, reply);
      done();
    });
  }

  private answered(req: AdminRequest, reply: FastifyReply): void {
    const admin = req.tokenPrincipal;
    // Only reads answered with data: refused (4xx) and failed (5xx) ones showed nothing, HEAD shows no body.
    if (!admin || req.method !== 'GET' || reply.statusCode < 200 || reply.statusCode >= 300) return;
    this.reads.add(readActivity(req, admin));
  }
}
