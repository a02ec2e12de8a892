import { Inject, Injectable } from '@nestjs/common';
import { ClickHouse, ProjectionProgress, searchLimitError } from '@audit/clickhouse';
import { SearchUsersRepository } from '@audit/persistence';
import type { ResolvedUsers, SearchNode } from '@audit/search';
import { QUERY_CONFIG, type QueryConfig } from './config';
import type { Cursor } from '@audit/event-filter';
import { eventFilterNode, type EventFilter } from '@audit/event-filter';
import { EventsReadRepository, type EventsPage } from './events-read.repository';
import { instantOf, readProjectedKeys, type ProjectedKeyRow } from './projected-keys';

const msOf = (cursor: Cursor): number => Date.parse(`${instantOf(cursor).slice(0, 23).replace(' ', 'T')}Z`);

/** Newest first, as the API orders events: createdAt, then the id's text (a UUID's byte order in Postgres). */
export function compareKeys(a: Cursor, b: Cursor): number {
  const [x, y] = [instantOf(a), instantOf(b)];
  if (x !== y) return x > y ? -1 : 1;
  return a.id === b.id ? 0 : a.id > b.id ? -1 : 1;
}

/** The first `count` distinct positions of both lists, newest first. */
export function mergeKeys(a: readonly Cursor[], b: readonly Cursor[], count: number): Cursor[] {
  const byId = new Map<string, Cursor>();
  for (const key of [...a, ...b]) byId.set(key.id, key);
  return [...byId.values()].sort(compareKeys).slice(0, count);
}

/**
 * A page of `GET /v1/events?search=`: the ids and sort keys from ClickHouse, merged with the events
 * Postgres received after the projector's high-water mark (less SEARCH_FRESHNESS_MARGIN), then the rows
 * from Postgres by id, re-checked against the filter there. So a search never misses an event Postgres
 * has, shows only what the system of record holds now, and keyset cursors hold across the merge (both
 * sides are read after the same position; an event found on both sides counts once).
 */
@Injectable()
export class EventsSearch {
  constructor(
    private readonly ch: ClickHouse,
    private readonly progress: ProjectionProgress,
    private readonly events: EventsReadRepository,
    private readonly users: SearchUsersRepository,
    @Inject(QUERY_CONFIG) private readonly config: QueryConfig,
  ) {}

  async page(organizationId: string, filter: EventFilter, limit: number, after?: Cursor): Promise<EventsPage> {
    const node = eventFilterNode(filter);
    // The order of the reads is what makes the merge exact:
    // - the mark is read (or reused, see ProjectionProgress.searchMark) before ClickHouse's statement starts,
    //   so every event received up to it less the margin is in what that statement reads; the Postgres tail
    //   holds every event received after that, whenever it runs. Reading the mark beside or after the
    //   statement would not do: a batch the projector commits in between moves the mark past events the
    //   statement did not see, and neither side would return them.
    // - a rebuild may clear ClickHouse after the mark was read: `stillValid`, asked once ClickHouse answered
    //   (the process's rebuild epoch on embedded chDB, a second read of the mark and of the rebuilds begun on
    //   a server, beside the rows' read), says so, and the page is then read from Postgres alone.
    // - both sides read strictly after the same keyset position and return one row more than the page;
    //   an event on both sides counts once (by id), so pages neither skip nor repeat one.
    // The user look-up (Postgres) meanwhile; the tail starts once the mark is in (it does not need the
    // users), ClickHouse once both are.
    const marked = this.progress.searchMark(this.config.searchMarkReuseMs, this.config.searchMarkStaleMs);
    const resolved = this.users.resolve(organizationId, node);
    const recentKeys = marked.then(({ mark }) => (mark === null ? [] : this.events.recentKeys(organizationId, filter, this.projectedBefore(mark), limit + 1, after)));
    const projectedKeys = Promise.all([marked, resolved]).then(([{ mark }, users]) => (mark === null ? [] : this.projectedKeys(organizationId, node, users, limit + 1, after)));
    // One Promise.all over every branch, so a failure of any is handled, whichever fails first.
    const [{ mark, stillValid }, projected, recent] = await Promise.all([marked, projectedKeys, recentKeys]);
    // Nothing was ever projected, or a rebuild holds or has cleared the projection since the mark was read:
    // every event is read from Postgres.
    const fromPostgres = (): Promise<EventsPage> => this.events.page(organizationId, filter, limit, after);
    if (mark === null) return fromPostgres();
    const merged = mergeKeys(projected, recent, limit + 1);
    const keys = merged.slice(0, limit);
    if (keys.length === 0) return (await stillValid()) ? { items: [] } : fromPostgres();
    const times = keys.map(msOf);
    const [valid, rows] = await Promise.all([
      stillValid(),
      this.events.summariesByIds(
        organizationId,
        filter,
        keys.map((k) => k.id),
        new Date(Math.min(...times)),
        new Date(Math.max(...times) + 1),
      ),
    ]);
    if (!valid) return fromPostgres();
    return { items: keys.flatMap((k) => rows.get(k.id) ?? []), next: merged.length > limit ? keys[keys.length - 1] : undefined };
  }

  /**
   * For each of the organizations, the earliest `createdAt` among the events Postgres holds that ClickHouse
   * does not hold yet (received after the projector's mark); an organization absent from the answer has all
   * of its events in ClickHouse. So a count in ClickHouse over a window that ends at or before that instant
   * misses nothing Postgres has (the alerts' evaluator waits on it). Not less SEARCH_FRESHNESS_MARGIN as a
   * page reads them: the mark stands still while nothing arrives, so the last minute's events would stay
   * inside the margin, and their minute unevaluated, until more events came. Nothing ever projected: every
   * event is still Postgres' alone.
   */
  async earliestUnprojected(organizationIds: readonly string[]): Promise<Map<string, Date>> {
    const mark = await this.progress.watermark();
    return this.events.earliestCreatedReceivedAfter(organizationIds, mark === null ? new Date(0) : new Date(mark));
  }

  /** What ClickHouse is taken to hold: every event received up to the mark less SEARCH_FRESHNESS_MARGIN. */
  private projectedBefore(mark: number): Date {
    return new Date(mark - this.config.searchFreshnessMarginMs);
  }

  /** The newest `count` positions ClickHouse holds after `after`, bounded in rows read and in time. */
  private async projectedKeys(organizationId: string, node: SearchNode, users: ResolvedUsers, count: number, after?: Cursor): Promise<Cursor[]> {
    const run = async (query: string, params: Record<string, unknown>): Promise<ProjectedKeyRow[]> =>
      (await this.ch.client.query({ query, query_params: params, format: 'JSONEachRow' })).json<ProjectedKeyRow>();
    try {
      return await readProjectedKeys(run, organizationId, node, users, count, after, this.config);
    } catch (error) {
      throw searchLimitError(error, this.config) ?? error;
    }
  }
}
