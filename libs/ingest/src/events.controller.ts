import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { IngestAuth, IngestKeyGuard, type IngestPrincipal } from '@audit/auth';
import { IngestEventsUseCase } from './ingest-events.use-case';
import { QueryParameters } from '@audit/platform';

@Controller('v1/events')
export class EventsIngestController {
  constructor(private readonly ingest: IngestEventsUseCase) {}

  /** One event or an array of up to 1000: 202 with the ids, in order. */
  @Post()
  @QueryParameters()
  @HttpCode(202)
  @UseGuards(IngestKeyGuard)
  create(@Body() body: unknown, @IngestAuth() principal: IngestPrincipal): Promise<{ ids: string[] }> {
    return this.ingest.execute({ body, organizationId: principal.organizationId });
  }
}
