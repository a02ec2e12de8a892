import type { ClickHouseEventsRepository, EncodedEventRow, ProjectionProgress } from '@audit/clickhouse';
import { TransientError } from '@audit/messaging';
import type { ErasuresRepository } from '@audit/persistence';
import { counter } from '@audit/platform';
import { reapplyErasures } from './erasures-in-flight';
import type { ProjectionStore } from './overlapping-inserts';

const erasuresReapplied = counter(
  'audit_projector_erasures_reapplied_total',
  'People whose erasure, committed while a batch of their events was in flight, the projector re-applied in ClickHouse after the insert',
);

/** The projector's store: ClickHouse's check, insert and mark, and Postgres' erasures re-applied after each insert. */
export function projectionStore(
  events: ClickHouseEventsRepository,
  progress: ProjectionProgress,
  erasures: Pick<ErasuresRepository, 'latestCovering'>,
): ProjectionStore<EncodedEventRow> {
  return {
    check: (rows) => events.check(rows),
    complete: (rows, check, signal) => events.complete(rows, check, (group, known) => events.insertEncodedExcept(group, known), signal),
    eraseCovered: async (rows) => {
      try {
        erasuresReapplied.inc(await reapplyErasures(rows, erasures, events));
      } catch (error) {
        // The rows are stored: only this step is left, and it succeeds once Postgres and ClickHouse answer.
        throw new TransientError('re-applying the erasures that cover the batch failed; the batch is redelivered', { cause: error });
      }
    },
    markProjected: (rows) => progress.advancePast(rows),
  };
}
