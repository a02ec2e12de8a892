import { Controller, Get, Logger, Module, Param } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type Histogram, register } from 'prom-client';
import { createHttpApp } from './bootstrap';
import { AppError } from './errors';
import { PlatformModule } from './platform.module';

Logger.overrideLogger(['error']);

@Controller('t')
class ItemsController {
  @Get(':id')
  item(@Param('id') id: string): { id: string } {
    if (id === 'gone') throw new AppError('NOT_FOUND', 'no such item');
    return { id };
  }
}

@Module({ imports: [PlatformModule], controllers: [ItemsController] })
class ItemsAppModule {}

describe('audit_http_request_duration_seconds (a Fastify app made by createHttpApp)', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createHttpApp(ItemsAppModule, 'http-metrics-test', { port: 0, host: '127.0.0.1', bodyLimitBytes: 1024 });
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
  });

  it('counts answered requests by route pattern (never the path) and status', async () => {
    const base = await app.getUrl();
    for (const path of ['/t/1', '/t/2', '/t/gone', '/nowhere/3']) await (await fetch(`${base}${path}`)).text();
    const text = await (await fetch(`${base}/metrics`)).text();
    // Read from the registry /metrics serves, not by parsing its text: @audit/testing's parser depends on this lib.
    const values = (await (register.getSingleMetric('audit_http_request_duration_seconds') as Histogram<string> | undefined)?.get())?.values ?? [];
    const count = (labels: Record<string, string>): number =>
      values
        .filter((v) => v.metricName === 'audit_http_request_duration_seconds_count')
        .find((v) => Object.keys(v.labels).length === 3 && Object.entries(labels).every(([k, value]) => v.labels[k] === value))?.value ?? 0;
    expect(count({ method: 'GET', route: '/t/:id', status: '200' })).toBe(2);
    expect(count({ method: 'GET', route: '/t/:id', status: '404' })).toBe(1);
    expect(count({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(text).not.toContain('route="/t/1"');
    expect(text).not.toContain('/nowhere');
  });
});
