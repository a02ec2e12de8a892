/**
 * Names embedded ClickHouse (chDB) gives the threads of its background pools: merges and mutations of parts,
 * moves, fetches and the schedule pools that run them, and delayed executions. Their work follows the
 * projector's inserts, and no request waits for it. The pools that execute statements (`ThreadPool`,
 * `QueryPipelineEx`, …) are not among them: the reads of the events API and analytics run there too.
 */
const BACKGROUND_POOLS = /^(MergeMutate|Move|Fetch|Common|PoolDelayExec|Bg[A-Za-z]*SchPool)$/;

/** Whether a thread of this process named `name` is one of embedded ClickHouse's background pools. */
export function isEmbeddedClickHouseBackgroundThread(name: string): boolean {
  return BACKGROUND_POOLS.test(name);
}

/**
 * The name a thread of ClickHouse's global pool has between jobs (a job names it for what it runs:
 * `QueryPipelineEx`, `ChunkParser`, …). A thread the pool starts while one of its threads runs a statement
 * at a lowered niceness (os_thread_priority) inherits that niceness, and ClickHouse sets back to 0 only the
 * threads it lowered itself: such a thread would run every later statement lowered, the reads' included.
 */
export function isIdleEmbeddedClickHousePoolThread(name: string): boolean {
  return name === 'ThreadPool';
}
