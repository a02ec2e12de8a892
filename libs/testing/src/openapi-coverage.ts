import 'reflect-metadata';
import type { Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import Ajv from 'ajv';
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

/**
 * How a real answer departs from what an OpenAPI document says of it (`[]` when it fits): the operation and
 * status must be documented and the JSON body must validate (ajv 6, draft-07) against the documented schema.
 */
export function answerDepartures(doc: { paths: object; components?: object }, route: string, status: number, body: unknown): string[] {
  const [method, path] = route.split(' ') as [string, string];
  const op = (doc.paths as Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }> | undefined>)[path]?.[method];
  const schema = op?.responses?.[String(status)]?.content?.['application/json']?.schema;
  if (schema === undefined) return [`${route} ${status}: no JSON answer documented`];
  const ajv = new Ajv({ allErrors: true, format: 'full' }).addSchema({ components: doc.components }, 'openapi.json');
  // `#/components/...` refers to the document, not to the answer's own schema.
  const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/', '"$ref":"openapi.json#/')) as object);
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${route} ${status}: ${e.dataPath} ${e.message ?? ''}`);
}
