import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AdminAuth, AdminGuard, type TokenPrincipal } from '@audit/auth';
import { QueryParameters } from '@audit/platform';
import { apiActor } from '@audit/settings';
import { savedSearchView, type SavedSearchView } from './model';
import { SavedSearches } from './saved-searches.service';

/** `/v1/searches` (administrators, own organization only): saved searches. Another organization's is 404. */
@Controller('v1/searches')
@UseGuards(AdminGuard)
export class SavedSearchesController {
  constructor(private readonly searches: SavedSearches) {}

  @Get()
  @QueryParameters()
  async list(@AdminAuth() admin: TokenPrincipal): Promise<{ items: SavedSearchView[] }> {
    return { items: await this.searches.list(admin.organizationId) };
  }

  @Post()
  @QueryParameters()
  @HttpCode(201)
  create(@AdminAuth() admin: TokenPrincipal, @Body() body: unknown, @Req() req: FastifyRequest): Promise<SavedSearchView> {
    return this.searches.create(admin.organizationId, body, apiActor(admin, req));
  }

  @Get(':id')
  @QueryParameters()
  async get(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string): Promise<SavedSearchView> {
    return savedSearchView(await this.searches.get(admin.organizationId, id));
  }

  @Put(':id')
  @QueryParameters()
  replace(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest): Promise<SavedSearchView> {
    return this.searches.replace(admin.organizationId, id, body, apiActor(admin, req));
  }

  @Delete(':id')
  @QueryParameters()
  async delete(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string, @Req() req: FastifyRequest): Promise<{ id: string; deleted: true }> {
    await this.searches.delete(admin.organizationId, id, apiActor(admin, req));
    return { id, deleted: true };
  }
}
