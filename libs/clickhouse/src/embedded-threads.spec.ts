import { isEmbeddedClickHouseBackgroundThread } from './embedded-threads';

describe('isEmbeddedClickHouseBackgroundThread', () => {
  it.each(['MergeMutate', 'Move', 'Fetch', 'Common', 'PoolDelayExec', 'BgSchPool', 'BgStrmSchPool', 'BgBufSchPool', 'BgDistSchPool', 'BgMBSchPool'])('names %s, a pool no request waits for', (name) => {
    expect(isEmbeddedClickHouseBackgroundThread(name)).toBe(true);
  });

  it.each(['node', 'ThreadPool', 'QueryPipelineEx', 'QueryCompPipeEx', 'MemoryWorker', 'v8:ProfEvntProc', 'MergeMutateX', ''])('leaves %s alone: the main thread, Node, or a pool reads run in', (name) => {
    expect(isEmbeddedClickHouseBackgroundThread(name)).toBe(false);
  });
});
