import 'reflect-metadata';
import type { Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { buildOpenApiDocument } from '@audit/platform';

/** `get /v1/events` etc.: the routes Nest registers for a root module, read from its controllers' route definitions. */
export async function registeredRoutes(rootModule: Type<unknown>): Promise<string[]> {
  // Preview mode resolves the module graph and controllers without instantiating providers: no database, bus or ClickHouse.
  const app = await NestFactory.create(rootModule, new FastifyAdapter(), { preview: true, logger: false, abortOnError: false });
  try {
    const scanned = SwaggerModule.createDocument(app, new DocumentBuilder().build());
    return Object.entries(scanned.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
  } finally {
    await app.close();
  }
}

/**
 * What the served OpenAPI document lacks for the routes an app registers: a route missing, or one without a
 * success answer whose body has a schema. Empty when every route and its answer shape are documented.
 */
export async function openApiGaps(rootModule: Type<unknown>): Promise<string[]> {
  const doc = buildOpenApiDocument();
  const gaps: string[] = [];
  for (const route of await registeredRoutes(rootModule)) {
    const [method, path] = route.split(' ') as [string, string];
    const op = (doc.paths[path] as Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }> | undefined)?.[method];
    if (op === undefined) {
      gaps.push(`${route}: not in the document`);
      continue;
    }
    const success = Object.entries(op.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status));
    if (success.length === 0) gaps.push(`${route}: no success answer documented`);
    for (const [status, answer] of success) {
      const media = Object.values(answer.content ?? {});
      if (media.length === 0 || media.some((m) => m.schema === undefined)) gaps.push(`${route}: answer ${status} has no body schema`);
    }
  }
  return gaps;
}
