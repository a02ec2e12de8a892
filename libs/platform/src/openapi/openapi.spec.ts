import Ajv from 'ajv';
import { EVENT_FIELDS, eventJsonSchema } from '@audit/contracts';
import { createHttpApp } from '../bootstrap';
import { PlatformModule } from '../platform.module';
import { buildOpenApiDocument } from './openapi-document';

const doc = buildOpenApiDocument();
const DOC_ID = 'openapi.json';

/** ajv 6 (draft-07) with the document's named schemas, so a `$ref` in any schema resolves inside the document. */
const ajv = new Ajv({ allErrors: true, format: 'full' }).addSchema({ components: doc.components }, DOC_ID);
const validatorFor = (schema: unknown): Ajv.ValidateFunction => ajv.compile(rebase(schema));
/** `#/components/...` refers to the document, not to the example's own schema. */
const rebase = (schema: unknown): object => JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/', `"$ref":"${DOC_ID}#/`)) as object;

/** Every `{schema, example}` pair of the document (request bodies, answers), with where it sits; `example` undefined where none. */
function examples(): Array<{ where: string; schema: unknown; example: unknown }> {
  const found: Array<{ where: string; schema: unknown; example: unknown }> = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item as Record<string, { requestBody?: { content: object }; responses: Record<string, { content?: object }> }>)) {
      const contents: Array<[string, object | undefined]> = [['request', op.requestBody?.content], ...Object.entries(op.responses).map(([status, r]): [string, object | undefined] => [status, r.content])];
      for (const [what, content] of contents) {
        for (const [type, media] of Object.entries(content ?? {}) as Array<[string, { schema?: unknown; example?: unknown }]>) {
          if (type === 'application/json') found.push({ where: `${method} ${path} ${what} ${type}`, schema: media.schema, example: media.example });
        }
      }
    }
  }
  return found;
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with the event schemas of the field table', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components?.schemas?.Event).toEqual(eventJsonSchema('stored'));
    expect(doc.components?.schemas?.EventInput).toEqual(eventJsonSchema('input'));
    // Every field of the table is in what reads return (schemaVersion is implied by the tables).
    const detail = (doc.components?.schemas?.EventDetail as { properties: object }).properties;
    expect(Object.keys(detail)).toEqual(EVENT_FIELDS.map((f) => f.name).filter((name) => name !== 'schemaVersion'));
  });

  it('has an example for every JSON body, and every example validates against its schema', () => {
    const all = examples();
    const isError = (schema: unknown) => JSON.stringify(schema) === JSON.stringify({ $ref: '#/components/schemas/Error' });
    // Error answers share the one schema; /v1/openapi.json's example would be the document itself.
    expect(all.filter((e) => e.example === undefined && !isError(e.schema) && !e.where.includes('/v1/openapi.json')).map((e) => e.where)).toEqual([]);
    for (const { where, schema, example } of all.filter((e) => e.example !== undefined)) {
      const validate = validatorFor(schema);
      expect({ where, errors: validate(example) ? null : validate.errors }).toEqual({ where, errors: null });
    }
  });

  it('refuses an example that does not fit (the check can fail)', () => {
    const validate = validatorFor({ $ref: '#/components/schemas/EventPage' });
    expect(validate({ items: [{ id: 'not-a-uuid' }] })).toBe(false);
    expect(validatorFor({ $ref: '#/components/schemas/Error' })({ error: { code: 'NOT_FOUND' } })).toBe(false);
  });

  it('answers every error with the one Error schema', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item as Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>)) {
        for (const [status, answer] of Object.entries(op.responses)) {
          // /readyz answers 503 with its checks, not an error.
          if (Number(status) >= 400 && path !== '/readyz') expect({ route: `${method} ${path} ${status}`, schema: answer.content?.['application/json']?.schema }).toEqual({ route: `${method} ${path} ${status}`, schema: { $ref: '#/components/schemas/Error' } });
        }
      }
    }
  });
});

describe('GET /v1/openapi.json and GET /v1/reference', () => {
  it('serve the document and a page listing every operation', async () => {
    const app = await createHttpApp(PlatformModule, 'openapi-spec', { port: 0, host: '127.0.0.1', bodyLimitBytes: 1024 * 1024 });
    try {
      const fastify = app.getHttpAdapter().getInstance();
      const json = await fastify.inject({ method: 'GET', url: '/v1/openapi.json' });
      expect(json.statusCode).toBe(200);
      expect(JSON.parse(json.body)).toEqual(JSON.parse(JSON.stringify(doc)));

      const page = await fastify.inject({ method: 'GET', url: '/v1/reference' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.body).not.toMatch(/<script/i);
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const method of Object.keys(item)) expect(page.body).toContain(`<code>${method.toUpperCase()} ${path}</code>`);
      }
      for (const name of Object.keys(doc.components?.schemas ?? {})) expect(page.body).toContain(`id="schema-${name}"`);
    } finally {
      await app.close();
    }
  });
});
