import { Body, Controller, Get, Put, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AdminAuth, AdminGuard, type TokenPrincipal } from '@audit/auth';
import { QueryParameters } from '@audit/platform';
import { HiddenParametersAdministration, type HiddenParametersView } from './hidden-parameters.use-cases';
import { apiActor } from './ingest-keys.controller';
import { readHiddenParametersBody } from './settings-body';

/** `GET/PUT /v1/settings/hidden-parameters`: the queries whose parameters ingest removes, for the caller's organization. */
@Controller('v1/settings/hidden-parameters')
@UseGuards(AdminGuard)
export class HiddenParametersController {
  constructor(private readonly hidden: HiddenParametersAdministration) {}

  @Get()
  @QueryParameters()
  get(@AdminAuth() admin: TokenPrincipal): Promise<HiddenParametersView> {
    return this.hidden.get(admin.organizationId);
  }

  @Put()
  @QueryParameters()
  put(@Body() body: unknown, @AdminAuth() admin: TokenPrincipal, @Req() req: FastifyRequest): Promise<HiddenParametersView> {
    const { queries } = readHiddenParametersBody(body);
    return this.hidden.replace(admin.organizationId, queries, apiActor(admin, req));
  }
}
