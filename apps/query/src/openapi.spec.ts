import { openApiGaps } from '@audit/testing';
import { QueryAppModule } from './query-app.module';

describe('the query app and the OpenAPI document', () => {
  it('documents every route the app registers, with its answer shape', async () => {
    expect(await openApiGaps(QueryAppModule)).toEqual([]);
  });
});
