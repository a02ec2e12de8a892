import { Inject, Injectable, Module, RequestMethod, type MiddlewareConsumer, type NestMiddleware, type NestModule } from '@nestjs/common';
import type { Request, Response } from 'express';
import type { TokenPrincipal } from '@audit/auth';
import type { Activity } from '@audit/messaging';
import { clientIp } from '@audit/platform';
import { QUERY_CONFIG, readQueryConfig, type QueryConfig } from './config';
import { ReadRecorder } from './read-recorder';

/** Query strings beyond this are summarised, so the event stays far below the 32 KiB metadata limit. */
const MAX_QUERY_JSON = 8_192;

type AdminRequest = Request & { tokenPrincipal?: TokenPrincipal };

/** The PAGE_VIEW of an administrator's read: page "audit", the path and the filters it was asked with. */
export function readActivity(req: AdminRequest, admin: TokenPrincipal): Activity {
  const query = (req.query ?? {}) as Record<string, unknown>;
  return {
    organizationId: admin.organizationId,
    actionType: 'PAGE_VIEW',
    userId: admin.userId,
    pageName: 'audit',
    ipAddress: clientIp(req.ip),
    // Not `query`: that key holds the SQL of query runs, which free-text search and the console read.
    metadata: { path: req.path, filters: JSON.stringify(query).length <= MAX_QUERY_JSON ? query : { truncated: true } },
  };
}

/**
 * Audits the auditors: every successful GET by an administrator (the principal AdminGuard set)
 * becomes a PAGE_VIEW event with pageName "audit" in that administrator's organization.
 *
 * The read is recorded once its answer has been handed to the socket, so no response waits for
 * building, publishing or acknowledging its event. A middleware rather than a global interceptor,
 * which would put every request of the process through Nest's observable chain. Recording is best
 * effort: a read is not refused because the bus is down, but the miss is logged and counted.
 */
@Injectable()
export class ReadAuditMiddleware implements NestMiddleware {
  constructor(private readonly reads: ReadRecorder) {}

  use(req: AdminRequest, res: Response, next: () => void): void {
    res.once('finish', () => this.answered(req, res));
    next();
  }

  private answered(req: AdminRequest, res: Response): void {
    const admin = req.tokenPrincipal;
    // Only reads answered with data: refused (4xx) and failed (5xx) ones showed nothing, HEAD shows no body.
    if (!admin || req.method !== 'GET' || res.statusCode < 200 || res.statusCode >= 300) return;
    this.reads.add(readActivity(req, admin));
  }
}

/** Records administrator reads of every controller in the process (`AUDIT_READS=false` turns it off). Needs MessagingModule. */
@Module({
  providers: [{ provide: QUERY_CONFIG, useFactory: () => readQueryConfig() }, ReadRecorder, ReadAuditMiddleware],
  exports: [QUERY_CONFIG],
})
export class ReadAuditModule implements NestModule {
  constructor(@Inject(QUERY_CONFIG) private readonly config: QueryConfig) {}

  configure(consumer: MiddlewareConsumer): void {
    // GET only, so the ingest path of a standalone process never passes through it.
    if (this.config.auditReads) consumer.apply(ReadAuditMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.GET });
  }
}
