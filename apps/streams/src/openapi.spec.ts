import { openApiGaps } from '@audit/testing';
import { StreamsAppModule } from './streams-app.module';

describe('the streams app and the OpenAPI document', () => {
  it('documents every route the app registers, with its answer shape', async () => {
    expect(await openApiGaps(StreamsAppModule)).toEqual([]);
  });
});
