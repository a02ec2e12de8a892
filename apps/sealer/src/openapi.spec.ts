import { openApiGaps } from '@audit/testing';
import { SealerAppModule } from './sealer-app.module';

describe('the sealer app and the OpenAPI document', () => {
  it('documents every route the app registers, with its answer shape', async () => {
    expect(await openApiGaps(SealerAppModule)).toEqual([]);
  });
});
