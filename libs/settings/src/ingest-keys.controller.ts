import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AdminAuth, AdminGuard, type TokenPrincipal } from '@audit/auth';
import { clientIp, QueryParameters } from '@audit/platform';
import type { SettingsActor } from './actor';
import { IngestKeysAdministration, type IngestKeyView } from './ingest-keys.use-cases';
import { readKeyCreateBody, readKeyId } from './settings-body';

export const apiActor = (admin: TokenPrincipal, req: FastifyRequest): SettingsActor => ({ userId: admin.userId, ipAddress: clientIp(req.ip), via: 'api' });

/** `GET/POST /v1/settings/keys`, `DELETE /v1/settings/keys/:id`: the ingest keys of the caller's organization. */
@Controller('v1/settings/keys')
@UseGuards(AdminGuard)
export class IngestKeysController {
  constructor(private readonly keys: IngestKeysAdministration) {}

  @Get()
  @QueryParameters()
  async list(@AdminAuth() admin: TokenPrincipal): Promise<{ items: IngestKeyView[] }> {
    return { items: await this.keys.list(admin.organizationId) };
  }

  /** The key is in this answer and nowhere else, ever. */
  @Post()
  @QueryParameters()
  @HttpCode(201)
  async create(@Body() body: unknown, @AdminAuth() admin: TokenPrincipal, @Req() req: FastifyRequest): Promise<IngestKeyView & { key: string }> {
    const { name } = readKeyCreateBody(body);
    const { key, view } = await this.keys.create(admin.organizationId, name, apiActor(admin, req));
    return { ...view, key };
  }

  @Delete(':id')
  @QueryParameters()
  async revoke(@Param('id') id: string, @AdminAuth() admin: TokenPrincipal, @Req() req: FastifyRequest): Promise<IngestKeyView> {
    return this.keys.revoke(admin.organizationId, readKeyId(id), apiActor(admin, req));
  }
}
