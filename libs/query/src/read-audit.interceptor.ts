import { Inject, Injectable, Logger, Module, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import type { Request } from 'express';
import { tap, type Observable } from 'rxjs';
import type { TokenPrincipal } from '@audit/auth';
import { ActivityRecorder } from '@audit/messaging';
import { clientIp, counter } from '@audit/platform';
import { QUERY_CONFIG, readQueryConfig, type QueryConfig } from './config';

const readsRecorded = counter('audit_admin_reads_recorded_total', 'Administrator reads recorded as PAGE_VIEW events, by result', ['result']);

/** Query strings beyond this are summarised, so the event stays far below the 32 KiB metadata limit. */
const MAX_QUERY_JSON = 8_192;

/**
 * Audits the auditors: every successful GET by an administrator (the principal AdminGuard set)
 * becomes a PAGE_VIEW event with pageName "audit" in that administrator's organization. Recording
 * is best effort: a read is not refused because the bus is down, but the miss is logged and counted.
 */
@Injectable()
export class ReadAuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger('ReadAudit');

  constructor(
    private readonly recorder: ActivityRecorder,
    @Inject(QUERY_CONFIG) private readonly config: QueryConfig,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.config.auditReads || context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request & { tokenPrincipal?: TokenPrincipal }>();
    return next.handle().pipe(
      tap({
        complete: () => {
          const admin = req.tokenPrincipal;
          if (req.method !== 'GET' || !admin) return;
          void this.record(req, admin);
        },
      }),
    );
  }

  private async record(req: Request, admin: TokenPrincipal): Promise<void> {
    const queryJson = JSON.stringify(req.query ?? {});
    try {
      await this.recorder.record({
        organizationId: admin.organizationId,
        actionType: 'PAGE_VIEW',
        userId: admin.userId,
        pageName: 'audit',
        ipAddress: clientIp(req.ip),
        // Not `query`: that key holds the SQL of query runs, which free-text search and the console read.
        metadata: { path: req.path, filters: queryJson.length <= MAX_QUERY_JSON ? req.query : { truncated: true } },
      });
      readsRecorded.inc({ result: 'recorded' });
    } catch (error) {
      readsRecorded.inc({ result: 'failed' });
      this.logger.warn({ msg: 'administrator read not recorded', path: req.path, organizationId: admin.organizationId, error: (error as Error).message });
    }
  }
}

/** Records administrator reads of every controller in the process. Needs MessagingModule. */
@Module({
  providers: [{ provide: QUERY_CONFIG, useFactory: () => readQueryConfig() }, { provide: APP_INTERCEPTOR, useClass: ReadAuditInterceptor }],
  exports: [QUERY_CONFIG],
})
export class ReadAuditModule {}
