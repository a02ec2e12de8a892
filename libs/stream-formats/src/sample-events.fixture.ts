import { ACTION_TYPES, validateEvent, type ActionType, type AuditEvent, type AuditEventInput } from '@audit/contracts';

const NOW = new Date('2026-03-02T10:00:00.000Z');

/** What each action type's emitter sends beside the actor (shaped like the reference's and the demo's events). */
const DETAILS: Record<ActionType, Partial<AuditEventInput>> = {
  QUERY_RUN: {
    pageName: 'Refund desk',
    queryName: 'refundPayment',
    resourceName: 'stripe-api',
    metadata: {
      query: 'select * from payments where id = {{ payment.id }} and note = "a|b=c\\d"\n-- refund',
      parameters: { 'payment.id': 4711 },
      headers: { 'user-agent': 'Mozilla/5.0' },
    },
  },
  QUERY_PREVIEW: { pageName: 'Customer 360', queryName: 'getCustomers', resourceName: 'prod-postgres', metadata: { query: 'select 1' } },
  PAGE_VIEW: { pageName: 'Sales | dashboard = Q1 \\ EMEA' },
  LOGIN: { metadata: { method: 'sso' } },
  LOGOUT: {},
  SIGN_UP: { metadata: { method: 'password' } },
  REDEEM_INVITE: {},
  INVITE_USER: { metadata: { targetUser: 'grace.hopper@example.com' } },
  RE_INVITE_USER: { metadata: { targetUser: 'grace.hopper@example.com' } },
  PLAYGROUND_QUERY_RUN: { pageName: 'Query Library', queryName: 'topProducts', resourceName: 'warehouse-snowflake', metadata: { query: 'select 2' } },
  DISABLE_TWO_FACTOR_AUTH: {},
  REQUEST_PASSWORD_RESET_LINK: { userId: null, user: null, metadata: { method: 'password' } },
  REQUEST_PASSWORDLESS_LOGIN: { userId: null, user: null, ipAddress: null, metadata: { method: 'magic-link' } },
  CONFIRM_PASSWORD_RESET_LINK: {},
  CREATE_GROUP: { metadata: { group: 'finance' } },
  UPDATE_GROUP: { metadata: { group: 'finance', changed: ['name'] } },
  DELETE_GROUP: { metadata: { group: 'finance' } },
  ADD_USERS_TO_GROUP: { metadata: { group: 'support', users: ['linus.torvalds@example.com'] } },
  REMOVE_USERS_FROM_GROUP: { metadata: { group: 'support', users: ['linus.torvalds@example.com'] } },
  DISABLE_USER: { metadata: { targetUser: 'ken.thompson@example.com' } },
  ENABLE_USER: { metadata: { targetUser: 'ken.thompson@example.com' } },
  UPDATE_ORGANIZATION: { metadata: { changed: ['branding'] } },
  CREATE_RESOURCE: { resourceName: 'prod-postgres', metadata: { resourceType: 'postgresql' } },
  UPDATE_RESOURCE: { resourceName: 'prod-postgres', metadata: { resourceType: 'postgresql' } },
  DELETE_RESOURCE: { resourceName: 'zendesk', metadata: { resourceType: 'restapi' } },
  PAGE_EXPORT: { pageName: 'Inventory', metadata: { format: 'json' } },
  CREATE_WORKFLOW: { pageName: 'nightly-sync', metadata: { workflowId: 'wf_1001' } },
  DELETE_WORKFLOW: { pageName: 'nightly-sync', metadata: { workflowId: 'wf_1001' } },
  RELEASE_WORKFLOW: { pageName: 'invoice-reminders', metadata: { workflowId: 'wf_1002' } },
  VIEW_WORKFLOW: { pageName: 'invoice-reminders', metadata: { workflowId: 'wf_1002' } },
  RUN_WORKFLOW: { pageName: 'churn-alerts', responseTimeMs: 1834, metadata: { workflowId: 'wf_1003' } },
  RUN_WORKFLOW_BLOCK: { pageName: 'churn-alerts', metadata: { workflowId: 'wf_1003', block: 'query1' } },
  ENABLE_TRIGGER: { pageName: 'lead-router', metadata: { workflowId: 'wf_1004' } },
  DISABLE_TRIGGER: { pageName: 'lead-router', metadata: { workflowId: 'wf_1004' } },
};

/**
 * One fixed canonical event per action type, in the reference's order, made by the contract's own
 * validator so the golden files show what the stream really carries. Some carry hostile text (pipes,
 * equals signs, backslashes, a newline) and some no actor or address, so the goldens show those too.
 */
export function sampleEvents(): AuditEvent[] {
  return ACTION_TYPES.map((actionType, i) => {
    const n = String(i + 1).padStart(2, '0');
    const input: AuditEventInput = {
      id: `0195a8c0-0000-7000-8000-0000000000${n}`,
      organizationId: 'acme',
      actionType,
      userId: 'acme-user-1',
      user: { email: 'ada.lovelace@example.com', userName: 'Ada Lovelace' },
      ipAddress: i % 5 === 4 ? '2001:db8::42' : '203.0.113.7',
      responseTimeMs: 40 + i,
      createdAt: new Date(NOW.getTime() - (ACTION_TYPES.length - i) * 60_000).toISOString(),
      ...DETAILS[actionType],
    };
    const result = validateEvent(input, { now: NOW });
    if (!result.ok) throw new Error(`sample ${actionType} is invalid: ${JSON.stringify(result.errors)}`);
    return result.event;
  });
}
