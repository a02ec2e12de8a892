import { AppError, QueryReader } from '@audit/platform';
import { EVENT_FILTER_PARAMS, eventFilterFromJson, eventFilterSql, eventFilterToJson, likePattern, readEventFilter, type EventFilter } from './event-filter';

const read = (raw: Record<string, unknown>): EventFilter => {
  const q = new QueryReader(raw, EVENT_FILTER_PARAMS);
  const filter = readEventFilter(q);
  q.done();
  return filter;
};

describe('event filter', () => {
  it('reads every filter', () => {
    expect(
      read({ from: '2026-11-01', to: '2026-11-02T00:00:00Z', actionType: ['LOGIN', 'QUERY_RUN'], userId: 'u1', pageName: 'P', queryName: 'Q', resourceName: 'R', ipAddress: '::1', q: 'x' }),
    ).toEqual({
      from: new Date('2026-11-01T00:00:00Z'),
      to: new Date('2026-11-02T00:00:00Z'),
      actionTypes: ['LOGIN', 'QUERY_RUN'],
      userId: 'u1',
      pageName: 'P',
      queryName: 'Q',
      resourceName: 'R',
      ipAddress: '::1',
      q: 'x',
    });
    expect(read({})).toEqual({ from: undefined, to: undefined, actionTypes: [] });
  });

  it('names every bad parameter at once', () => {
    expect.assertions(2);
    try {
      read({ from: 'x', actionType: 'NOPE', userId: '', pageName: 'a\u0000b', extra: '1' });
    } catch (error) {
      expect(error).toBeInstanceOf(AppError);
      expect(((error as AppError).details as Array<{ path: string }>).map((d) => d.path).sort()).toEqual(['actionType', 'extra', 'from', 'pageName', 'userId']);
    }
  });

  it('builds parameterised SQL: no value is ever part of the text', () => {
    const params: unknown[] = ['already-there'];
    const sql = eventFilterSql('org-1', read({ actionType: ['LOGIN', 'LOGOUT'], userId: "u'1", q: '50%_off', from: '2026-11-01' }), params);
    expect(sql).toBe(
      `a."organizationId" = $2 AND a."createdAt" >= $3 AND a."actionType" = ANY($4::text[]) AND a."userId" = $5 AND ` +
        `(a."pageName" ILIKE $6 OR a."queryName" ILIKE $6 OR a."resourceName" ILIKE $6 OR a.metadata->>'query' ILIKE $6)`,
    );
    expect(params).toEqual(['already-there', 'org-1', new Date('2026-11-01T00:00:00Z'), ['LOGIN', 'LOGOUT'], "u'1", '%50\\%\\_off%']);
    expect(eventFilterSql('o', read({ actionType: 'LOGIN' }), [], 'e')).toBe(`e."organizationId" = $1 AND e."actionType" = $2`);
  });

  it("leaves out the log's own reads only (PAGE_VIEW of page audit), and refuses a hideAuditReads that is not true or false", () => {
    const params: unknown[] = [];
    expect(eventFilterSql('org-1', read({ hideAuditReads: 'true' }), params)).toBe(`a."organizationId" = $1 AND (a."actionType" <> 'PAGE_VIEW' OR a."pageName" IS DISTINCT FROM 'audit')`);
    expect(read({ hideAuditReads: 'false' }).hideAuditReads).toBeUndefined();
    expect(() => read({ hideAuditReads: 'yes' })).toThrow();
  });

  it('escapes LIKE wildcards and the escape character', () => {
    expect(likePattern('a%b_c\\d')).toBe('%a\\%b\\_c\\\\d%');
  });

  it('round-trips through the JSON stored with an export job', () => {
    const filter = read({ from: '2026-11-01', actionType: 'LOGIN', q: 'x', ipAddress: '10.0.0.1', hideAuditReads: 'true' });
    expect(eventFilterFromJson(JSON.parse(JSON.stringify(eventFilterToJson(filter))) as Record<string, unknown>)).toEqual({
      from: filter.from,
      to: undefined,
      actionTypes: ['LOGIN'],
      q: 'x',
      ipAddress: '10.0.0.1',
      hideAuditReads: true,
    });
    expect(() => eventFilterFromJson({ hideAuditReads: 'yes' })).toThrow('hideAuditReads');
    expect(() => eventFilterFromJson({ actionType: ['NOPE'] })).toThrow('action types');
    expect(() => eventFilterFromJson({ from: 'soon' })).toThrow('bad date');
  });
});
