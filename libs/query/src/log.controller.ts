import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { AdminAuth, AdminGuard, type TokenPrincipal } from '@audit/auth';
import { isUuid, type ConsistencyProofBody, type EventProof, type LogCheckpoint, type LogCheckpointPage, type LogKeys } from '@audit/contracts';
import { QueryReader } from '@audit/platform';
import { LogReads } from './log-reads';

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

/**
 * A tree size or leaf count given once as a plain decimal (no sign, no leading zero, at most 2^53 − 1);
 * `undefined` when absent. A bad one is recorded on `q` under its name.
 */
function treeSizeParam(q: QueryReader, query: Record<string, unknown>, name: string, required: boolean): number | undefined {
  const value = query[name];
  if (value === undefined) {
    if (required) q.problem(name, 'is required');
    return undefined;
  }
  if (typeof value !== 'string' || !DECIMAL.test(value) || !Number.isSafeInteger(Number(value))) {
    q.problem(name, 'must be a tree size: a non-negative integer given once, without sign or leading zeros');
    return undefined;
  }
  return Number(value);
}

/**
 * The tamper-evident log of the caller's organization (the token's `org`): checkpoints, inclusion and
 * consistency proofs, verification keys. docs/transparency.md says how to check them.
 */
@Controller('v1')
@UseGuards(AdminGuard)
export class LogController {
  constructor(private readonly reads: LogReads) {}

  @Get('log/checkpoint')
  latest(@Query() query: Record<string, unknown>, @AdminAuth() admin: TokenPrincipal): Promise<LogCheckpoint> {
    new QueryReader(query, []).done();
    return this.reads.latestCheckpoint(admin.organizationId);
  }

  @Get('log/checkpoints')
  list(@Query() query: Record<string, unknown>, @AdminAuth() admin: TokenPrincipal): Promise<LogCheckpointPage> {
    const q = new QueryReader(query, ['from', 'to', 'limit']);
    const window = q.bounds();
    const limit = q.limit(100, 1000);
    q.done();
    return this.reads.checkpoints(admin.organizationId, window, limit);
  }

  @Get('log/consistency')
  consistency(@Query() query: Record<string, unknown>, @AdminAuth() admin: TokenPrincipal): Promise<ConsistencyProofBody> {
    const q = new QueryReader(query, ['first', 'second']);
    const first = treeSizeParam(q, query, 'first', true);
    const second = treeSizeParam(q, query, 'second', true);
    q.done();
    return this.reads.consistency(admin.organizationId, first as number, second as number);
  }

  @Get('log/keys')
  keys(@Query() query: Record<string, unknown>): Promise<LogKeys> {
    new QueryReader(query, []).done();
    return this.reads.keys();
  }

  @Get('events/:id/proof')
  proof(@Param('id') id: string, @Query() query: Record<string, unknown>, @AdminAuth() admin: TokenPrincipal): Promise<EventProof> {
    const q = new QueryReader(query, ['treeSize']);
    if (!isUuid(id)) q.problem('id', 'must be an event id (a UUID)');
    const treeSize = treeSizeParam(q, query, 'treeSize', false);
    if (treeSize === 0) q.problem('treeSize', 'must be at least 1: the empty tree holds no event');
    q.done();
    return this.reads.eventProof(admin.organizationId, id.toLowerCase(), treeSize);
  }
}
