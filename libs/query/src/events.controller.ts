import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { AdminAuth, AdminGuard, type TokenPrincipal } from '@audit/auth';
import { isUuid, type EventDetail, type EventSummary, type Page, type UserItem } from '@audit/contracts';
import { AppError, QueryReader } from '@audit/platform';
import { EventsReadRepository } from './events-read.repository';
import { pageBody, readPageRequest } from './page-request';

/** `GET /v1/events`, `GET /v1/events/:id`, `GET /v1/users`: the caller's organization only (the token's `org`). */
@Controller('v1')
@UseGuards(AdminGuard)
export class EventsController {
  constructor(private readonly events: EventsReadRepository) {}

  @Get('events')
  async list(@Query() query: Record<string, unknown>, @AdminAuth() admin: TokenPrincipal): Promise<Page<EventSummary>> {
    const { filter, limit, after } = readPageRequest(query);
    return pageBody(await this.events.page(admin.organizationId, filter, limit, after));
  }

  @Get('events/:id')
  async one(@Param('id') id: string, @Query() query: Record<string, unknown>, @AdminAuth() admin: TokenPrincipal): Promise<EventDetail> {
    const q = new QueryReader(query, []);
    // Event ids are UUIDs: anything else cannot exist.
    if (!isUuid(id)) q.problem('id', 'must be an event id (a UUID)');
    q.done();
    // Another organization's event is indistinguishable from one that does not exist.
    const event = await this.events.findOne(admin.organizationId, id.toLowerCase());
    if (!event) throw new AppError('NOT_FOUND', `no event ${id}`);
    return event;
  }

  @Get('users')
  async users(@Query() query: Record<string, unknown>, @AdminAuth() admin: TokenPrincipal): Promise<{ items: UserItem[] }> {
    // An empty q (the user filter opened before anything is typed) asks for the most recent users.
    const { q: typed, ...rest } = query;
    const q = new QueryReader(typed === '' ? rest : query, ['q', 'limit']);
    const text = q.text('q', 256);
    const limit = q.limit(20, 200);
    q.done();
    return { items: await this.events.users(admin.organizationId, text, limit) };
  }
}
