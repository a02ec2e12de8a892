import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { AdminAuth, AdminGuard, type TokenPrincipal } from '@audit/auth';
import type { DeliveryRecord, StreamView, TestDeliveryResult } from './model';
import { StreamsCatalog } from './streams-catalog.service';
import { StreamsService } from './streams.service';

/**
 * `/v1/streams` (administrators, own organization only): CRUD, pause, resume, test, replay, deliveries.
 * Another organization's stream answers 404, as if it did not exist; no answer ever holds a secret.
 */
@Controller('v1/streams')
@UseGuards(AdminGuard)
export class StreamsController {
  constructor(
    private readonly catalog: StreamsCatalog,
    private readonly streams: StreamsService,
  ) {}

  @Get()
  async list(@AdminAuth() admin: TokenPrincipal): Promise<{ items: StreamView[] }> {
    return { items: await this.catalog.list(admin.organizationId) };
  }

  @Post()
  @HttpCode(201)
  async create(@AdminAuth() admin: TokenPrincipal, @Body() body: unknown): Promise<StreamView> {
    return this.catalog.view(await this.catalog.create(admin.organizationId, body));
  }

  @Get(':id')
  async get(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string): Promise<StreamView> {
    return this.catalog.view(await this.catalog.get(admin.organizationId, id));
  }

  @Put(':id')
  async replace(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string, @Body() body: unknown): Promise<StreamView> {
    return this.catalog.view(await this.catalog.replace(admin.organizationId, id, body));
  }

  @Delete(':id')
  async delete(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string): Promise<{ id: string; deleted: true }> {
    await this.catalog.delete(admin.organizationId, id);
    return { id, deleted: true };
  }

  @Post(':id/pause')
  @HttpCode(200)
  async pause(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string): Promise<StreamView> {
    return this.catalog.view(await this.catalog.setPaused(admin.organizationId, id, true));
  }

  @Post(':id/resume')
  @HttpCode(200)
  async resume(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string): Promise<StreamView> {
    return this.catalog.view(await this.catalog.setPaused(admin.organizationId, id, false));
  }

  @Post(':id/test')
  @HttpCode(200)
  test(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string): Promise<TestDeliveryResult> {
    return this.streams.test(admin.organizationId, id);
  }

  @Post(':id/replay')
  @HttpCode(202)
  replay(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string, @Body() body: unknown): Promise<StreamView> {
    return this.streams.replay(admin.organizationId, id, body);
  }

  @Get(':id/deliveries')
  deliveries(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string, @Query('limit') limit: unknown): Promise<{ items: DeliveryRecord[] }> {
    return this.streams.deliveries(admin.organizationId, id, limit);
  }
}
