import { randomUUID } from 'node:crypto';
import { Body, Controller, Get, HttpCode, Injectable, Module, Post, Query, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AdminAuth, AdminGuard, AuthModule, type TokenPrincipal } from '@audit/auth';
import { ClickHouseEventsRepository, ClickHouseModule } from '@audit/clickhouse';
import { storedTextProblem } from '@audit/contracts';
import { ActivityRecorder, MessagingModule } from '@audit/messaging';
import { ErasuresRepository, PersistenceModule, type ErasureRecord } from '@audit/persistence';
import { ReadAuditModule } from '@audit/read-audit';
import { AppError, clientIp, QueryParameters, QueryReader } from '@audit/platform';

/** The API's view of an erasure. */
export interface ErasureResponse {
  id: string;
  userId: string;
  requestedBy: string;
  /** Events whose content was emptied in Postgres. */
  events: number;
  erasedAt: string;
}

const toResponse = (r: ErasureRecord): ErasureResponse => ({ id: r.id, userId: r.userId, requestedBy: r.requestedBy, events: r.events, erasedAt: r.erasedAt.toISOString() });

/** The action type an erasure is recorded under: the nearest of the 34 (an organization-level change made by an administrator). */
export const ERASURE_ACTION_TYPE = 'UPDATE_ORGANIZATION';

/** `{"userId": "..."}`, nothing else: every wrong field is named. */
export function readErasureBody(body: unknown): { userId: string } {
  const details: Array<{ path: string; message: string }> = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('VALIDATION_FAILED', 'the body must be a JSON object {"userId": "..."}', [{ path: '', message: 'must be a JSON object' }]);
  }
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) if (key !== 'userId') details.push({ path: key, message: 'is not a field of an erasure' });
  const userId = record.userId;
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > 256) details.push({ path: 'userId', message: 'must be a string of 1 to 256 characters' });
  else {
    // No stored event's userId holds such text, and the erasure's own record could not carry it.
    const problem = storedTextProblem(userId);
    if (problem !== undefined) details.push({ path: 'userId', message: problem });
  }
  if (details.length > 0) throw new AppError('VALIDATION_FAILED', 'the erasure request is invalid', details);
  return { userId: userId as string };
}

/**
 * Erasure of one person's data, in both stores: the use case behind `POST /v1/erasures` and the CLI's
 * `erase`. Recorded on the bus first (refused when it cannot be), then Postgres (content, leaves' salts
 * and snapshots, the user's e-mail and name, in one transaction), then ClickHouse (the same content and
 * the per-user rollups). Repeating it after a failure finishes what is left.
 */
@Injectable()
export class EraseUser {
  constructor(
    private readonly erasures: ErasuresRepository,
    private readonly clickhouse: ClickHouseEventsRepository,
    private readonly recorder: ActivityRecorder,
  ) {}

  async run(input: { organizationId: string; userId: string; requestedBy: string; actorUserId: string | null; ipAddress: string | null }): Promise<ErasureRecord> {
    const id = randomUUID();
    await this.recorder.record({
      organizationId: input.organizationId,
      actionType: ERASURE_ACTION_TYPE,
      userId: input.actorUserId,
      ipAddress: input.ipAddress,
      metadata: { erasure: id, erasedUserId: input.userId },
    });
    const { record } = await this.erasures.eraseUser(id, input.organizationId, input.userId, input.requestedBy);
    await this.clickhouse.eraseUser(input.organizationId, input.userId, record.erasedAt);
    return record;
  }
}

/** `POST /v1/erasures` and `GET /v1/erasures`: the caller's organization only (the token's `org`). */
@Controller('v1/erasures')
@UseGuards(AdminGuard)
export class ErasuresController {
  constructor(
    private readonly eraseUser: EraseUser,
    private readonly erasures: ErasuresRepository,
  ) {}

  @Post()
  @QueryParameters()
  @HttpCode(201)
  async erase(@Body() body: unknown, @AdminAuth() admin: TokenPrincipal, @Req() req: FastifyRequest): Promise<ErasureResponse> {
    const { userId } = readErasureBody(body);
    const record = await this.eraseUser.run({
      organizationId: admin.organizationId,
      userId,
      requestedBy: `token:${admin.userId ?? 'anonymous'}`,
      actorUserId: admin.userId,
      ipAddress: clientIp(req.ip),
    });
    return toResponse(record);
  }

  @Get()
  async list(@Query() query: Record<string, unknown>, @AdminAuth() admin: TokenPrincipal): Promise<{ items: ErasureResponse[] }> {
    const q = new QueryReader(query, ['limit']);
    const limit = q.limit(100, 1000);
    q.done();
    return { items: (await this.erasures.list(admin.organizationId, limit)).map(toResponse) };
  }
}

/** Erasure over HTTP (and the use case for the CLI). Needs Persistence, ClickHouse, Messaging and Auth. */
@Module({ imports: [PersistenceModule, ClickHouseModule, MessagingModule, AuthModule, ReadAuditModule], controllers: [ErasuresController], providers: [EraseUser], exports: [EraseUser] })
export class ErasureModule {}
