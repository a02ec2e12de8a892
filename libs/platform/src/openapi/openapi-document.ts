import { DocumentBuilder, type OpenAPIObject } from '@nestjs/swagger';
import { OPERATIONS } from './operations';
import { SCHEMAS } from './schemas';

/**
 * The OpenAPI 3.1 document of the whole HTTP API, the same from every service (so whichever one a proxy sends
 * `/v1/openapi.json` to answers for all of them). The event's schemas come from the contracts' field table;
 * the paths are held to the routes each app registers by a test (see `undocumentedRoutes`).
 *
 * Schemas stay within what JSON Schema draft-07 and 2020-12 read alike (`type` lists for null, no
 * `nullable`, no `$defs`), so ajv 6 checks the examples as OpenAPI 3.1 tools read them.
 */
export function buildOpenApiDocument(): OpenAPIObject {
  const base = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Audit trail API')
    .setDescription('Send audit events, read, analyse and export them, and set retention. Errors are always {"error": {"code", "message", "details"?}}.')
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An ingest API key (POST /v1/events only).' }, 'ingestKey')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'An ingest API key, in its own header.' }, 'ingestKeyHeader')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An admin token: a JWT with claims org, role (admin), exp, and optionally sub.' }, 'adminToken')
    .build();
  return { ...base, paths: OPERATIONS, components: { ...base.components, schemas: SCHEMAS } } as OpenAPIObject;
}
