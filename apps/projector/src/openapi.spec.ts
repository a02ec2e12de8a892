import { openApiGaps } from '@audit/testing';
import { ProjectorAppModule } from './projector-app.module';

describe('the projector app and the OpenAPI document', () => {
  it('documents every route the app registers, with its answer shape', async () => {
    expect(await openApiGaps(ProjectorAppModule)).toEqual([]);
  });
});
