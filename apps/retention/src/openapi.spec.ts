import { openApiGaps } from '@audit/testing';
import { RetentionAppModule } from './retention-app.module';

describe('the retention app and the OpenAPI document', () => {
  it('documents every route the app registers, with its answer shape', async () => {
    expect(await openApiGaps(RetentionAppModule)).toEqual([]);
  });
});
