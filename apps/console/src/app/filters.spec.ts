import fc from 'fast-check';
import { bucketFilters, chartInterval, eventsQuery, exportRequest, filtersToSearch, parseFilters, resolveWindow, urlProblems, viewQuery, EMPTY_FILTERS } from './filters';

describe('console filters in the URL', () => {
  it('round-trips every filter through the query string, in a stable order', () => {
    const filters = {
      ...EMPTY_FILTERS,
      range: 'custom' as const,
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-02T12:30:00.000Z',
      actionTypes: ['QUERY_RUN' as const, 'LOGIN' as const],
      userId: 'u-grace',
      pageName: 'Refunds admin',
      queryName: 'getOrders',
      resourceName: 'postgres-prod',
      ipAddress: '2001:db8::1',
      q: 'refund & co',
      showReads: true,
    };
    const search = filtersToSearch(filters);
    expect(search.toString()).toBe(
      'range=custom&from=2026-11-01T00%3A00%3A00.000Z&to=2026-11-02T12%3A30%3A00.000Z&actionType=QUERY_RUN&actionType=LOGIN' +
        '&userId=u-grace&pageName=Refunds+admin&queryName=getOrders&resourceName=postgres-prod&ipAddress=2001%3Adb8%3A%3A1&q=refund+%26+co&reads=shown',
    );
    expect(parseFilters(new URLSearchParams(search.toString()))).toEqual(filters);
  });

  it('leaves the defaults out of the URL', () => {
    expect(filtersToSearch(EMPTY_FILTERS).toString()).toBe('');
    expect(filtersToSearch({ ...EMPTY_FILTERS, range: '7d' }).toString()).toBe('range=7d');
  });

  it('drops what a stale or hand-edited link holds that the API would refuse', () => {
    const parsed = parseFilters(new URLSearchParams('range=forever&actionType=QUERY_RUNS&actionType=LOGIN&actionType=LOGIN&userId=%20u1%20&event=x'));
    expect(parsed).toEqual({ ...EMPTY_FILTERS, actionTypes: ['LOGIN'], userId: 'u1' });
    // A custom range with no valid bound falls back to the default preset.
    expect(parseFilters(new URLSearchParams('range=custom&from=yesterday')).range).toBe('24h');
  });

  it('says what a link holds that it cannot use, naming each parameter, and nothing for a link it wrote', () => {
    expect(
      urlProblems(new URLSearchParams('range=forever&actionType=QUERY_RUNS&actionType=LOGIN&from=2026-11-01&userd=u1&event=x&reads=yes&q=a&q=b')),
    ).toEqual([
      '"userd" is not a parameter of this page',
      '"q" is given more than once (the first is used)',
      'range "forever" is not one of 1h, 24h, 7d, 30d, custom (showing the last 24 hours)',
      '"from" is used only with range=custom',
      'actionType "QUERY_RUNS" is not an action type',
      'reads "yes" must be "shown" (or absent, to hide the log\'s own reads)',
      'event "x" is not an event id',
    ]);
    expect(urlProblems(new URLSearchParams('range=custom&to=soon'))).toEqual(['to "soon" is not a date and time']);
    fc.assert(
      fc.property(
        fc.record({
          range: fc.constantFrom('1h', '24h', '7d', '30d', 'custom'),
          from: fc.constantFrom('', '2026-11-01T00:00:00.000Z'),
          to: fc.constantFrom('', '2026-11-02T00:00:00.000Z'),
          actionTypes: fc.subarray(['LOGIN', 'QUERY_RUN', 'PAGE_VIEW'] as const),
          userId: fc.string(),
          q: fc.string(),
          showReads: fc.boolean(),
        }),
        (picked) => {
          const search = filtersToSearch({ ...EMPTY_FILTERS, ...picked, actionTypes: [...picked.actionTypes] });
          search.set('event', '0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b');
          expect(urlProblems(search)).toEqual([]);
        },
      ),
    );
  });
});

describe('the window and the API requests of a view', () => {
  const now = new Date('2026-11-29T12:00:00.000Z');

  it('ends presets now and custom ranges at their end (or now)', () => {
    expect(resolveWindow({ ...EMPTY_FILTERS, range: '1h' }, now)).toEqual({ from: new Date('2026-11-29T11:00:00.000Z'), to: now });
    expect(resolveWindow({ ...EMPTY_FILTERS, range: '30d' }, now).from).toEqual(new Date('2026-10-30T12:00:00.000Z'));
    expect(resolveWindow({ ...EMPTY_FILTERS, range: 'custom', from: '2026-11-01T00:00:00.000Z', to: '' }, now)).toEqual({
      from: new Date('2026-11-01T00:00:00.000Z'),
      to: now,
    });
  });

  it('sends the window, each action type, the text filters, the limit and the cursor to GET /v1/events', () => {
    const window = resolveWindow({ ...EMPTY_FILTERS, range: '1h' }, now);
    const query = eventsQuery({ ...EMPTY_FILTERS, actionTypes: ['QUERY_RUN', 'QUERY_PREVIEW'], userId: 'u1', q: 'select' }, window, 50, 'c1');
    expect([...query.entries()]).toEqual([
      ['from', '2026-11-29T11:00:00.000Z'],
      ['to', '2026-11-29T12:00:00.000Z'],
      ['actionType', 'QUERY_RUN'],
      ['actionType', 'QUERY_PREVIEW'],
      ['userId', 'u1'],
      ['q', 'select'],
      ['hideAuditReads', 'true'],
      ['limit', '50'],
      ['cursor', 'c1'],
    ]);
  });

  it('asks POST /v1/exports for the same view', () => {
    const window = resolveWindow({ ...EMPTY_FILTERS, range: '24h' }, now);
    expect(exportRequest({ ...EMPTY_FILTERS, actionTypes: ['LOGIN'], pageName: 'Home' }, window)).toEqual({
      from: '2026-11-28T12:00:00.000Z',
      to: '2026-11-29T12:00:00.000Z',
      actionType: ['LOGIN'],
      pageName: 'Home',
      hideAuditReads: 'true',
    });
    expect(exportRequest({ ...EMPTY_FILTERS, showReads: true }, window)).not.toHaveProperty('hideAuditReads');
  });

  it("gives the chart and the count the list's filters, and hides the log's own reads unless shown", () => {
    const window = resolveWindow({ ...EMPTY_FILTERS, range: '1h' }, now);
    const filters = { ...EMPTY_FILTERS, actionTypes: ['LOGIN' as const], pageName: 'Home', ipAddress: '::1' };
    const list = eventsQuery(filters, window, 50);
    list.delete('limit');
    expect(viewQuery(filters, window).toString()).toBe(list.toString());
    expect(viewQuery(filters, window).get('hideAuditReads')).toBe('true');
    expect(viewQuery({ ...filters, showReads: true }, window).has('hideAuditReads')).toBe(false);
  });

  it('narrows a view to the bucket of a clicked bar, within the view', () => {
    const window = { from: new Date('2026-11-29T10:20:00.000Z'), to: now };
    const narrowed = bucketFilters({ ...EMPTY_FILTERS, userId: 'u1' }, window, Date.parse('2026-11-29T11:00:00.000Z'), 'hour');
    expect(narrowed).toEqual({ ...EMPTY_FILTERS, userId: 'u1', range: 'custom', from: '2026-11-29T11:00:00.000Z', to: '2026-11-29T12:00:00.000Z' });
    // The first bucket starts before the window: the view starts where the window did.
    expect(bucketFilters(EMPTY_FILTERS, window, Date.parse('2026-11-29T10:00:00.000Z'), 'hour').from).toBe('2026-11-29T10:20:00.000Z');
    expect(parseFilters(filtersToSearch(narrowed))).toEqual(narrowed);
  });

  it('picks minute, hour or day buckets so a chart has a readable number of bars', () => {
    const span = (ms: number) => ({ from: new Date(now.getTime() - ms), to: now });
    expect(chartInterval(span(3_600_000))).toBe('minute');
    expect(chartInterval(span(86_400_000))).toBe('hour');
    expect(chartInterval(span(7 * 86_400_000))).toBe('hour');
    expect(chartInterval(span(30 * 86_400_000))).toBe('day');
  });
});
