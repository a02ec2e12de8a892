import { Controller, Get, Header, Inject, Query, UseGuards } from '@nestjs/common';
import { AdminAuth, AdminGuard, type TokenPrincipal } from '@audit/auth';
import { QueryReader } from '@audit/platform';
import { EVENT_FILTER_PARAMS, readEventNarrowing, readSearchParameter } from '@audit/event-filter';
import { AnalyticsService, type ResponseTimeItem, type Summary, type TopUserItem, type ViewCount } from './analytics.service';
import { ANALYTICS_CONFIG, type AnalyticsConfig } from './config';
import { GROUP_BYS, INTERVALS } from './query-params';

/** `GET /v1/analytics/...`: aggregates over the caller's organization only (the token's `org`). */
@Controller('v1/analytics')
@UseGuards(AdminGuard)
export class AnalyticsController {
  constructor(
    private readonly analytics: AnalyticsService,
    @Inject(ANALYTICS_CONFIG) private readonly config: AnalyticsConfig,
  ) {}

  /** `{items: [{bucket, actionType, count}]}`: ClickHouse's own JSON bytes (see `timeseriesBody`), sent as they are. */
  @Get('timeseries')
  @Header('Content-Type', 'application/json; charset=utf-8')
  async timeseries(@Query() query: Record<string, unknown>, @AdminAuth() admin: TokenPrincipal): Promise<Buffer> {
    const q = new QueryReader(query, [...EVENT_FILTER_PARAMS, 'interval']);
    const window = q.window(this.config.maxWindowMs);
    const interval = q.oneOf('interval', INTERVALS, 'hour');
    const filter = readEventNarrowing(q);
    q.done();
    return this.analytics.timeseriesBody(admin.organizationId, window, interval, filter);
  }

  /** `{count, approximate}`: how many events the list's view (the same filters as GET /v1/events) holds. */
  @Get('count')
  async count(@Query() query: Record<string, unknown>, @AdminAuth() admin: TokenPrincipal): Promise<ViewCount> {
    const q = new QueryReader(query, EVENT_FILTER_PARAMS);
    const window = q.window(this.config.maxWindowMs);
    const filter = readEventNarrowing(q);
    q.done();
    return this.analytics.count(admin.organizationId, window, filter);
  }

  @Get('top-users')
  async topUsers(@Query() query: Record<string, unknown>, @AdminAuth() admin: TokenPrincipal): Promise<{ items: TopUserItem[] }> {
    const q = new QueryReader(query, ['from', 'to', 'actionType', 'limit', 'search']);
    const window = q.window(this.config.maxWindowMs);
    const types = q.actionTypes();
    const limit = q.limit(10, 1000);
    const search = readSearchParameter(q);
    q.done();
    return { items: await this.analytics.topUsers(admin.organizationId, window, types, limit, search) };
  }

  @Get('response-times')
  async responseTimes(@Query() query: Record<string, unknown>, @AdminAuth() admin: TokenPrincipal): Promise<{ items: ResponseTimeItem[] }> {
    const q = new QueryReader(query, ['from', 'to', 'groupBy', 'limit', 'search']);
    const window = q.window(this.config.maxWindowMs);
    const groupBy = q.oneOf('groupBy', GROUP_BYS, 'queryName');
    const limit = q.limit(20, 1000);
    const search = readSearchParameter(q);
    q.done();
    return { items: await this.analytics.responseTimes(admin.organizationId, window, groupBy, limit, search) };
  }

  @Get('summary')
  async summary(@Query() query: Record<string, unknown>, @AdminAuth() admin: TokenPrincipal): Promise<Summary> {
    const q = new QueryReader(query, ['from', 'to', 'search']);
    const window = q.window(this.config.maxWindowMs);
    const search = readSearchParameter(q);
    q.done();
    return this.analytics.summary(admin.organizationId, window, search);
  }
}
