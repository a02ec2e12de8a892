import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { AdminAuth, AdminGuard, type TokenPrincipal } from '@audit/auth';
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
  async list(@AdminAuth() admin: TokenPrincipal): Promise<{ items: AlertView[] }> {
    return { items: await this.alerts.list(admin.organizationId) };
  }

  @Post('alerts')
  @HttpCode(201)
  create(@AdminAuth() admin: TokenPrincipal, @Body() body: unknown): Promise<AlertView> {
    return this.alerts.create(admin.organizationId, body);
  }

  @Get('alerts/:id')
  async get(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string): Promise<AlertView> {
    return alertView(await this.alerts.get(admin.organizationId, id));
  }

  @Put('alerts/:id')
  replace(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string, @Body() body: unknown): Promise<AlertView> {
    return this.alerts.replace(admin.organizationId, id, body);
  }

  @Delete('alerts/:id')
  async delete(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string): Promise<{ id: string; deleted: true }> {
    await this.alerts.delete(admin.organizationId, id);
    return { id, deleted: true };
  }

  @Get('alerts/:id/firings')
  async firings(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string, @Query('limit') limit: unknown): Promise<{ items: FiringView[] }> {
    return { items: await this.alerts.firings(admin.organizationId, id, limit) };
  }

  @Get('alert-firings')
  async allFirings(@AdminAuth() admin: TokenPrincipal, @Query('limit') limit: unknown): Promise<{ items: FiringView[] }> {
    return { items: await this.alerts.firings(admin.organizationId, undefined, limit) };
  }
}
