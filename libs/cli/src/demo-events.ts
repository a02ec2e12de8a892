import { ACTION_TYPES, type ActionType, type AuditEventInput } from '@audit/contracts';

const FIRST = ['Ada', 'Grace', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Frances', 'Alan', 'Radia', 'Edsger', 'Hedy'];
const LAST = ['Lovelace', 'Hopper', 'Torvalds', 'Hamilton', 'Thompson', 'Liskov', 'Ritchie', 'Allen', 'Turing', 'Perlman', 'Dijkstra', 'Lamarr'];
const PAGES = ['Customer 360', 'Refund desk', 'Inventory', 'Sales dashboard', 'Onboarding', 'Billing admin', 'Support inbox'];
const QUERIES = ['getCustomers', 'updateOrder', 'refundPayment', 'listInvoices', 'searchTickets', 'topProducts', 'deleteDraft'];
const RESOURCES = ['prod-postgres', 'stripe-api', 'salesforce', 'warehouse-snowflake', 'zendesk'];
const WORKFLOWS = ['nightly-sync', 'invoice-reminders', 'churn-alerts', 'lead-router'];
const GROUPS = ['admins', 'support', 'finance', 'engineering'];

/** A small seeded generator, so a demo data set can be reproduced. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4_294_967_296;
  };
}

/**
 * Realistic events of every action type: a few busy users and many quiet ones, query runs most
 * common, response times with a long tail, timestamps spread over `spanMs` before `now`.
 */
export function demoEvents(organizationId: string, count: number, options: { now?: Date; spanMs?: number; seed?: number } = {}): AuditEventInput[] {
  return [...demoEventStream(organizationId, count, options)];
}

/**
 * {@link demoEvents} one at a time, the same ones for the same seed: `demo` publishes them as they are made,
 * since holding all 10,000,000 it accepts would take about 3.7 GB (376 MB per million), beyond Node's heap.
 */
export function* demoEventStream(organizationId: string, count: number, options: { now?: Date; spanMs?: number; seed?: number } = {}): Generator<AuditEventInput> {
  const random = seededRandom(options.seed ?? 42);
  const now = (options.now ?? new Date()).getTime();
  const span = options.spanMs ?? 7 * 86_400_000;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const skewed = <T>(items: readonly T[]): T => items[Math.floor(random() ** 2 * items.length)];
  const users = FIRST.map((first, i) => ({
    id: `${organizationId}-user-${i + 1}`,
    email: `${first.toLowerCase()}.${LAST[i].toLowerCase()}@example.com`,
    userName: `${first} ${LAST[i]}`,
  }));
  for (let i = 0; i < count; i++) {
    // Every type appears at least once; after that, query runs and page views dominate as they do in real logs.
    const actionType: ActionType = i < ACTION_TYPES.length ? ACTION_TYPES[i] : random() < 0.6 ? pick(['QUERY_RUN', 'QUERY_RUN', 'PAGE_VIEW', 'QUERY_PREVIEW'] as const) : pick(ACTION_TYPES);
    const user = skewed(users);
    const event: AuditEventInput = {
      organizationId,
      actionType,
      userId: user.id,
      user: { email: user.email, userName: user.userName },
      ipAddress: random() < 0.8 ? `10.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}.${1 + Math.floor(random() * 254)}` : `2001:db8::${Math.floor(random() * 65535).toString(16)}`,
      responseTimeMs: Math.round(20 + 1000 * random() ** 4 + random() * 80),
      createdAt: new Date(now - Math.floor(random() * span)).toISOString(),
      pageName: null,
      queryName: null,
      resourceName: null,
      metadata: {},
    };
    fill(event, actionType, { pick, random, users });
    yield event;
  }
}

function fill(
  event: AuditEventInput,
  actionType: ActionType,
  { pick, random, users }: { pick: <T>(items: readonly T[]) => T; random: () => number; users: Array<{ id: string; email: string }> },
): void {
  switch (actionType) {
    case 'QUERY_RUN':
    case 'QUERY_PREVIEW':
    case 'PLAYGROUND_QUERY_RUN': {
      const queryName = pick(QUERIES);
      event.pageName = actionType === 'PLAYGROUND_QUERY_RUN' ? 'Query Library' : pick(PAGES);
      event.queryName = queryName;
      event.resourceName = pick(RESOURCES);
      event.metadata = {
        query: `select * from orders where customer_id = {{ customer.id }} and status = {{ status }} limit 100 -- ${queryName}`,
        parameters: { 'customer.id': Math.floor(random() * 100_000), status: pick(['open', 'paid', 'refunded']) },
        headers: { 'user-agent': 'Mozilla/5.0', 'x-request-id': Math.floor(random() * 1e9).toString(16) },
      };
      return;
    }
    case 'PAGE_VIEW':
    case 'PAGE_EXPORT':
      event.pageName = pick(PAGES);
      event.metadata = actionType === 'PAGE_EXPORT' ? { format: 'json' } : {};
      return;
    case 'CREATE_RESOURCE':
    case 'UPDATE_RESOURCE':
    case 'DELETE_RESOURCE':
      event.resourceName = pick(RESOURCES);
      event.metadata = { resourceType: pick(['postgresql', 'restapi', 'snowflake']) };
      return;
    case 'CREATE_WORKFLOW':
    case 'DELETE_WORKFLOW':
    case 'RELEASE_WORKFLOW':
    case 'VIEW_WORKFLOW':
    case 'RUN_WORKFLOW':
    case 'RUN_WORKFLOW_BLOCK':
    case 'ENABLE_TRIGGER':
    case 'DISABLE_TRIGGER':
      event.pageName = pick(WORKFLOWS);
      event.metadata = { workflowId: `wf_${Math.floor(random() * 1e6)}` };
      return;
    case 'CREATE_GROUP':
    case 'UPDATE_GROUP':
    case 'DELETE_GROUP':
    case 'ADD_USERS_TO_GROUP':
    case 'REMOVE_USERS_FROM_GROUP':
      event.metadata = { group: pick(GROUPS), users: [pick(users).email] };
      return;
    case 'INVITE_USER':
    case 'RE_INVITE_USER':
    case 'DISABLE_USER':
    case 'ENABLE_USER':
      event.metadata = { targetUser: pick(users).email };
      return;
    case 'LOGIN':
    case 'LOGOUT':
    case 'SIGN_UP':
    case 'REDEEM_INVITE':
    case 'DISABLE_TWO_FACTOR_AUTH':
    case 'REQUEST_PASSWORD_RESET_LINK':
    case 'REQUEST_PASSWORDLESS_LOGIN':
    case 'CONFIRM_PASSWORD_RESET_LINK':
      event.metadata = { method: pick(['password', 'sso', 'magic-link']) };
      return;
    case 'UPDATE_ORGANIZATION':
      event.metadata = { changed: [pick(['name', 'sso', 'branding'])] };
      return;
    default: {
      const unreachable: never = actionType;
      throw new Error(`no demo data for ${String(unreachable)}`);
    }
  }
}
