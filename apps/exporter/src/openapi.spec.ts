import { openApiGaps } from '@audit/testing';
import { ExporterAppModule } from './exporter-app.module';

describe('the exporter app and the OpenAPI document', () => {
  it('documents every route the app registers, with its answer shape', async () => {
    expect(await openApiGaps(ExporterAppModule)).toEqual([]);
  });
});
