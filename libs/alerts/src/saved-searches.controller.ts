import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, UseGuards } from '@nestjs/common';
import { AdminAuth, AdminGuard, type TokenPrincipal } from '@audit/auth';
import { savedSearchView, type SavedSearchView } from './model';
import { SavedSearches } from './saved-searches.service';

/** `/v1/searches` (administrators, own organization only): saved searches. Another organization's is 404. */
@Controller('v1/searches')
@UseGuards(AdminGuard)
export class SavedSearchesController {
  constructor(private readonly searches: SavedSearches) {}

  @Get()
  async list(@AdminAuth() admin: TokenPrincipal): Promise<{ items: SavedSearchView[] }> {
    return { items: await this.searches.list(admin.organizationId) };
  }

  @Post()
  @HttpCode(201)
  create(@AdminAuth() admin: TokenPrincipal, @Body() body: unknown): Promise<SavedSearchView> {
    return this.searches.create(admin.organizationId, body);
  }

  @Get(':id')
  async get(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string): Promise<SavedSearchView> {
    return savedSearchView(await this.searches.get(admin.organizationId, id));
  }

  @Put(':id')
  replace(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string, @Body() body: unknown): Promise<SavedSearchView> {
    return this.searches.replace(admin.organizationId, id, body);
  }

  @Delete(':id')
  async delete(@AdminAuth() admin: TokenPrincipal, @Param('id') id: string): Promise<{ id: string; deleted: true }> {
    await this.searches.delete(admin.organizationId, id);
    return { id, deleted: true };
  }
}
