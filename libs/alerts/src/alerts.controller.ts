import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req, Query, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AdminAuth, AdminGuard, type TokenPrincipal } from '@audit/auth';
import { QueryParameters } from '@audit/platform';
import { apiActor } from '@audit/settings';
import { AlertsCatalog } from './alerts-catalog.service';
import { alertView, type AlertView, type FiringView } from './model';

/**
 * `/v1/alerts` (administrators, own organization only): CRUD and each alert's firings; `/v1/alert-firings`
 * the organization's recent firings. Another organization's alert is 404; no answer holds a secret.
 */
@Controller('v1')
@UseGuards(AdminGuard)
export class AlertsController {
  constructor(private readonly alerts: AlertsCatalog) {}

  @Get('alerts')
  @QueryParameters()
  async list(@AdminAuth() admin: TokenPrincipal): Promise<{ items: AlertView[] }> {
    return { items: await this.alerts.list(admin.organizationId) };
  }

  @Post('alerts')
  @QueryParameters()
  @HttpCode(201)
  create(@AdminAuth() admin: TokenPrincipal, @Body() body: unknown, @Req() req: FastifyRequest): Promise<AlertView> {
    return this.alerts.create(admin.organizationId, body, apiActor(admin, req));
  }

  @Get('alerts/:id')
  @QueryParameters()
  async get(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string): Promise<AlertView> {
    return alertView(await this.alerts.get(admin.organizationId, id));
  }

  @Put('alerts/:id')
  @QueryParameters()
  replace(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest): Promise<AlertView> {
    return this.alerts.replace(admin.organizationId, id, body, apiActor(admin, req));
  }

  @Delete('alerts/:id')
  @QueryParameters()
  async delete(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string, @Req() req: FastifyRequest): Promise<{ id: string; deleted: true }> {
    await this.alerts.delete(admin.organizationId, id, apiActor(admin, req));
    return { id, deleted: true };
  }

  @Get('alerts/:id/firings')
  @QueryParameters('limit')
  async firings(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string, @Query('limit') limit: unknown): Promise<{ items: FiringView[] }> {
    return { items: await this.alerts.firings(admin.organizationId, id, limit) };
  }

  @Get('alert-firings')
  @QueryParameters('limit')
  async allFirings(@AdminAuth() admin: TokenPrincipal, @Query('limit') limit: unknown): Promise<{ items: FiringView[] }> {
    return { items: await this.alerts.firings(admin.organizationId, undefined, limit) };
  }
}
