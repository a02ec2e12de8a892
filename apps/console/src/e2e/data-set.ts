import type { AuditEventInput } from '@audit/contracts';

/** The people of the console's data set; Grace runs the queries the browser test looks for. */
export const USERS = {
  ada: { id: 'u-ada', email: 'ada@acme.test', userName: 'Ada Lovelace' },
  grace: { id: 'u-grace', email: 'grace@acme.test', userName: 'Grace Hopper' },
  linus: { id: 'u-linus', email: 'linus@acme.test', userName: 'Linus Torvalds' },
  margaret: { id: 'u-margaret', email: 'margaret@acme.test', userName: 'Margaret Hamilton' },
} as const;

/** A query run whose exact text (several lines, indentation, quotes, a template) the detail panel must show. */
export const MULTILINE_QUERY = [
  'SELECT o.id, o.total, c.email',
  '  FROM orders o',
  '  JOIN customers c ON c.id = o.customer_id',
  " WHERE o.status = 'refunded'",
  '   AND o.created_at > {{ dateRange.start }}',
  ' ORDER BY o.total DESC',
  ' LIMIT 50;',
].join('\n');

const PAGES = ['Orders dashboard', 'Customer 360', 'Refunds admin', 'Inventory'];
const QUERIES = ['getOrders', 'searchCustomers', 'refundTotals', 'stockLevels', 'monthlyRevenue'];
const RESOURCES = ['postgres-prod', 'stripe-api', 'warehouse-replica'];
const TYPES = ['LOGIN', 'PAGE_VIEW', 'QUERY_PREVIEW', 'CREATE_GROUP', 'UPDATE_RESOURCE', 'RUN_WORKFLOW', 'LOGOUT', 'ADD_USERS_TO_GROUP', 'VIEW_WORKFLOW'] as const;

/** An event of the data set: createdAt is always given, as ISO text. */
export type SeedEvent = AuditEventInput & { createdAt: string };

export interface DataSet {
  events: SeedEvent[];
  /** Grace's QUERY_RUN events, the view the browser test filters to (newest first, as the table lists them). */
  graceQueryRuns: SeedEvent[];
  /** The event carrying {@link MULTILINE_QUERY}. */
  multiline: SeedEvent;
}

/**
 * A deterministic day of activity for one organization: every user, several action types across the
 * five groups, query runs with timings, spread over the last 20 hours so the charts have a shape.
 */
export function dataSet(org: string, now: Date): DataSet {
  const users = Object.values(USERS);
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
  const events: SeedEvent[] = [];
  for (let i = 0; i < 160; i++) {
    const user = users[(i * 7) % users.length];
    const minutesAgo = 5 + ((i * 37) % 1180);
    if (i % 3 === 0 && user.id !== USERS.grace.id) {
      const queryName = QUERIES[i % QUERIES.length];
      events.push({
        organizationId: org,
        actionType: 'QUERY_RUN',
        userId: user.id,
        user: { email: user.email, userName: user.userName },
        ipAddress: `10.20.${i % 4}.${(i * 13) % 250}`,
        responseTimeMs: 40 + ((i * 97) % 900) + QUERIES.indexOf(queryName) * 250,
        pageName: PAGES[i % PAGES.length],
        queryName,
        resourceName: RESOURCES[i % RESOURCES.length],
        metadata: { query: `select * from ${queryName.toLowerCase()} limit 100`, parameters: { page: i % 5 } },
        createdAt: at(minutesAgo),
      });
    } else {
      const actionType = TYPES[i % TYPES.length];
      events.push({
        organizationId: org,
        actionType,
        userId: user.id,
        user: { email: user.email, userName: user.userName },
        ipAddress: i % 5 === 0 ? '2001:db8::42' : `192.168.1.${(i * 11) % 250}`,
        responseTimeMs: 5 + ((i * 31) % 200),
        pageName: actionType === 'PAGE_VIEW' ? PAGES[i % PAGES.length] : null,
        resourceName: actionType === 'UPDATE_RESOURCE' ? RESOURCES[i % RESOURCES.length] : null,
        metadata: actionType === 'CREATE_GROUP' ? { group: `team-${i}` } : {},
        createdAt: at(minutesAgo),
      });
    }
  }
  const multiline: SeedEvent = {
    organizationId: org,
    actionType: 'QUERY_RUN',
    userId: USERS.grace.id,
    user: { email: USERS.grace.email, userName: USERS.grace.userName },
    ipAddress: '203.0.113.7',
    responseTimeMs: 1834,
    pageName: 'Refunds admin',
    queryName: 'refundedOrders',
    resourceName: 'postgres-prod',
    metadata: {
      query: MULTILINE_QUERY,
      parameters: { 'dateRange.start': '2026-11-01T00:00:00Z' },
      headers: { 'x-request-id': 'req-7f3a', 'user-agent': 'Retool/3.52' },
    },
    createdAt: at(42),
  };
  const graceRuns: SeedEvent[] = [
    multiline,
    ...[95, 310, 760].map(
      (minutesAgo, i): SeedEvent => ({
        organizationId: org,
        actionType: 'QUERY_RUN',
        userId: USERS.grace.id,
        user: { email: USERS.grace.email, userName: USERS.grace.userName },
        ipAddress: '203.0.113.7',
        responseTimeMs: 120 + i * 80,
        pageName: 'Orders dashboard',
        queryName: 'getOrders',
        resourceName: 'postgres-prod',
        metadata: { query: 'select * from orders where id = {{ table.selectedRow.id }}', parameters: { 'table.selectedRow.id': 1000 + i } },
        createdAt: at(minutesAgo),
      }),
    ),
  ];
  events.push(...graceRuns);
  const graceQueryRuns = [...graceRuns].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  return { events, graceQueryRuns, multiline };
}
