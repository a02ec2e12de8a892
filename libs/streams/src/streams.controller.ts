import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AdminAuth, AdminGuard, type TokenPrincipal } from '@audit/auth';
import { clientIp, QueryParameters } from '@audit/platform';
import type { DeliveryRecord, StreamView, TestDeliveryResult } from '@audit/contracts';
import type { StreamRecord } from './model';
import { StreamLagReader } from './stream-lag';
import { StreamChangeRecorder, type StreamActor } from './stream-changes';
import { StreamsCatalog } from './streams-catalog.service';
import { StreamsRunner } from './streams-runner.service';
import { StreamsService } from './streams.service';

/**
 * `/v1/streams` (administrators, own organization only): CRUD, pause, resume, test, replay, deliveries.
 * Another organization's stream answers 404, as if it did not exist; no answer ever holds a secret.
 * Every change is recorded in the organization's log before it is made ({@link StreamChangeRecorder}).
 */
@Controller('v1/streams')
@UseGuards(AdminGuard)
export class StreamsController {
  constructor(
    private readonly catalog: StreamsCatalog,
    private readonly streams: StreamsService,
    private readonly changes: StreamChangeRecorder,
    private readonly lag: StreamLagReader,
    private readonly runner: StreamsRunner,
  ) {}

  /**
   * After a change, this replica reads the definitions at once rather than at its next refresh
   * (STREAMS_REFRESH_INTERVAL, 2 s by default): a new or resumed stream starts delivering, and a paused or
   * deleted one stops, without that wait. The answer does not wait for a worker to start; a burst of changes
   * shares one refresh, and a failed one is logged (the timer's next refresh tries again).
   */
  private changed<T>(result: T): T {
    this.runner.refreshSoon();
    return result;
  }

  /** The stream as answered, with how far it is behind the bus. */
  private async view(stream: StreamRecord): Promise<StreamView> {
    return this.catalog.view(stream, await this.lag.of(stream));
  }

  /** Every stream with its lag, all lags read from one listing of the bus's consumers ({@link StreamLagReader.ofAll}). */
  @Get()
  @QueryParameters()
  async list(@AdminAuth() admin: TokenPrincipal): Promise<{ items: StreamView[] }> {
    const streams = await this.catalog.list(admin.organizationId);
    const lags = await this.lag.ofAll(streams);
    return { items: streams.map((s) => this.catalog.view(s, lags.get(s.id) ?? null)) };
  }

  @Post()
  @QueryParameters()
  @HttpCode(201)
  async create(@AdminAuth() admin: TokenPrincipal, @Req() req: FastifyRequest, @Body() body: unknown): Promise<StreamView> {
    return this.view(this.changed(await this.catalog.create(admin.organizationId, body, this.changes.before(actorOf(admin, req), 'create'))));
  }

  @Get(':id')
  @QueryParameters()
  async get(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string): Promise<StreamView> {
    return this.view(await this.catalog.get(admin.organizationId, id));
  }

  @Put(':id')
  @QueryParameters()
  async replace(@AdminAuth() admin: TokenPrincipal, @Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown): Promise<StreamView> {
    return this.view(this.changed(await this.catalog.replace(admin.organizationId, id, body, this.changes.before(actorOf(admin, req), 'update'))));
  }

  @Delete(':id')
  @QueryParameters()
  async delete(@AdminAuth() admin: TokenPrincipal, @Req() req: FastifyRequest, @Param('id') id: string): Promise<{ id: string; deleted: true }> {
    await this.catalog.delete(admin.organizationId, id, this.changes.before(actorOf(admin, req), 'delete'));
    return this.changed({ id, deleted: true });
  }

  @Post(':id/pause')
  @QueryParameters()
  @HttpCode(200)
  async pause(@AdminAuth() admin: TokenPrincipal, @Req() req: FastifyRequest, @Param('id') id: string): Promise<StreamView> {
    return this.view(this.changed(await this.catalog.setPaused(admin.organizationId, id, true, this.changes.before(actorOf(admin, req), 'pause'))));
  }

  @Post(':id/resume')
  @QueryParameters()
  @HttpCode(200)
  async resume(@AdminAuth() admin: TokenPrincipal, @Req() req: FastifyRequest, @Param('id') id: string): Promise<StreamView> {
    return this.view(this.changed(await this.catalog.setPaused(admin.organizationId, id, false, this.changes.before(actorOf(admin, req), 'resume'))));
  }

  @Post(':id/test')
  @QueryParameters()
  @HttpCode(200)
  test(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string): Promise<TestDeliveryResult> {
    return this.streams.test(admin.organizationId, id);
  }

  @Post(':id/replay')
  @QueryParameters()
  @HttpCode(202)
  async replay(@AdminAuth() admin: TokenPrincipal, @Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown): Promise<StreamView> {
    const record = (from: Date, startsAt: Date) =>
      this.changes.before(actorOf(admin, req), 'replay', { from: from.toISOString(), ...(startsAt.getTime() === from.getTime() ? {} : { startsAt: startsAt.toISOString() }) });
    return this.view(this.changed(await this.streams.replay(admin.organizationId, id, body, record)));
  }

  @Get(':id/deliveries')
  @QueryParameters('limit')
  deliveries(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string, @Query('limit') limit: unknown): Promise<{ items: DeliveryRecord[] }> {
    return this.streams.deliveries(admin.organizationId, id, limit);
  }
}

const actorOf = (admin: TokenPrincipal, req: FastifyRequest): StreamActor => ({ organizationId: admin.organizationId, userId: admin.userId, ipAddress: clientIp(req.ip), via: 'api' });
