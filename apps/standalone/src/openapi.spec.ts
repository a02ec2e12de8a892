import { buildOpenApiDocument } from '@audit/platform';
import { openApiGaps, registeredRoutes } from '@audit/testing';
import { StandaloneModule } from './standalone.module';

describe('the standalone app and the OpenAPI document', () => {
  it('documents every route the app registers, with its answer shape', async () => {
    expect(await openApiGaps(StandaloneModule)).toEqual([]);
  });

  it('documents no route that the app does not serve (standalone serves them all)', async () => {
    const registered = new Set(await registeredRoutes(StandaloneModule));
    const documented = Object.entries(buildOpenApiDocument().paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
    expect(documented.filter((route) => !registered.has(route))).toEqual([]);
  });
});
