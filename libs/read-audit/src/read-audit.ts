import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenPrincipal } from '@audit/auth';
import { storableText } from '@audit/contracts';
import { MessagingModule, type Activity } from '@audit/messaging';
import { AppError, clientIp, errorBody, httpStatusOf } from '@audit/platform';
import { READ_AUDIT_CONFIG, readReadAuditConfig, type ReadAuditConfig } from './config';
import { ReadCoalescer } from './read-coalescer';
import { ReadRecorder } from './read-recorder';
import { readViewId, readViewOf, type ReadView } from './read-view';

/** Query strings beyond this are summarised, so the event stays far below the 32 KiB metadata limit. */
const MAX_QUERY_JSON = 8_192;

type AdminRequest = FastifyRequest & { tokenPrincipal?: TokenPrincipal };

/**
 * The asked parameters as stored: names and values made storableText (a NUL, which Postgres cannot hold, or a
 * lone surrogate becomes U+FFFD), lists and nested objects kept as lists and objects. A query string is the
 * client's to write, and endpoints that take no parameters answer whatever it holds, so its record must not
 * depend on it: an unstorable record failed the read with 503 "try again", every time.
 */
function storableQuery(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableQuery);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([name, item]) => [storableText(name), storableQuery(item)]));
  return value;
}

/** The PAGE_VIEW recording a view an administrator opened: page "audit", the path and filters it was first asked with. */
export function readActivity(req: AdminRequest, admin: TokenPrincipal, view: ReadView, id?: string): Activity {
  // A plain copy (Fastify's parsed query has no prototype), with the client's text made storable.
  const filters = storableQuery(view.filters) as Record<string, unknown>;
  return {
    ...(id === undefined ? {} : { id }),
    organizationId: admin.organizationId,
    actionType: 'PAGE_VIEW',
    userId: admin.userId,
    pageName: 'audit',
    ipAddress: clientIp(req.ip),
    // Not `query`: that key holds the SQL of query runs, which free-text search and the console read.
    metadata: { path: view.path, filters: JSON.stringify(filters).length <= MAX_QUERY_JSON ? filters : { truncated: true } },
  };
}

/**
 * Audits the auditors: every distinct view an administrator opens (a successful GET by the principal
 * AdminGuard set) is a PAGE_VIEW event with pageName "audit" in that administrator's organization, once
 * per coalescing window (`AUDIT_READ_WINDOW`, 5 minutes): the pages, the chart and the count of a view
 * opened again within the window are covered by its record. Requests that show no audit data of their
 * own (the user lookup, the export list and its polling: see readViewOf) record nothing.
 *
 * Across replicas: windows are aligned on the clock and the record's id is derived from (organization,
 * user, view, window), so replicas that each serve a view once publish the same event, which the bus's
 * deduplication and the writer's id registry keep once.
 *
 * A Fastify onSend hook: it runs once the answer is built and before any of it is sent, and holds the
 * answer until the read's event is acked by the bus. The first request of a view waits for its record; the
 * others of the same view in the window share that record's outcome. A read that cannot be recorded is not served: the
 * data is replaced by `503 BUS_UNAVAILABLE` (retry), so no administrator sees audit data unaudited. No
 * request goes through Nest's middleware or interceptor chains for it. `AUDIT_READS=false` turns it off.
 * Needs an application made by createHttpApp (the hook is added before Fastify is ready).
 */
@Module({
  imports: [MessagingModule],
  providers: [
    { provide: READ_AUDIT_CONFIG, useFactory: () => readReadAuditConfig() },
    ReadRecorder,
    { provide: ReadCoalescer, inject: [READ_AUDIT_CONFIG], useFactory: (config: ReadAuditConfig) => new ReadCoalescer(config.readViewWindowMs) },
  ],
  // For reads that are no plain GET answer (the live tail's stream): their controller records them itself.
  exports: [ReadRecorder],
})
export class ReadAuditModule implements OnModuleInit {
  constructor(
    @Inject(READ_AUDIT_CONFIG) private readonly config: ReadAuditConfig,
    private readonly reads: ReadRecorder,
    private readonly views: ReadCoalescer,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    // Without HTTP (the CLI's application context) there are no reads to record.
    if (!this.config.auditReads || !this.adapterHost.httpAdapter) return;
    this.adapterHost.httpAdapter.getInstance<FastifyInstance>().addHook('onSend', (req, reply, payload) => this.answering(req as AdminRequest, reply, payload));
  }

  private async answering(req: AdminRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const admin = req.tokenPrincipal;
    // Only reads answered with data: refused (4xx) and failed (5xx) ones showed nothing, HEAD shows no body.
    if (!admin || req.method !== 'GET' || reply.statusCode < 200 || reply.statusCode >= 300) return payload;
    const view = readViewOf(req.url.split('?')[0], { ...(req.query as Record<string, unknown> | undefined) }, this.views.windowMs);
    if (!view) return payload;
    try {
      const now = Date.now();
      const key = JSON.stringify([admin.organizationId, admin.userId, view.key]);
      await this.views.cover(key, now, (windowStart) =>
        this.reads.add(readActivity(req, admin, view, readViewId(admin.organizationId, admin.userId, view.key, windowStart)), new Date(now)),
      );
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
