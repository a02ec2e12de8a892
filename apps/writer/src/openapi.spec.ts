import { openApiGaps } from '@audit/testing';
import { WriterAppModule } from './writer-app.module';

describe('the writer app and the OpenAPI document', () => {
  it('documents every route the app registers, with its answer shape', async () => {
    expect(await openApiGaps(WriterAppModule)).toEqual([]);
  });
});
