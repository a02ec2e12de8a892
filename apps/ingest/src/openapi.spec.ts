import { openApiGaps } from '@audit/testing';
import { IngestAppModule } from './ingest-app.module';

describe('the ingest app and the OpenAPI document', () => {
  it('documents every route the app registers, with its answer shape', async () => {
    expect(await openApiGaps(IngestAppModule)).toEqual([]);
  });
});
