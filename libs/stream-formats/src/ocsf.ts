import type { AuditEvent } from '@audit/contracts';
import { actionFormat, OCSF_CLASSES, OCSF_SEVERITY_NAMES, ocsfSeverityId } from './action-formats';
import { epochMs, groupName, metadataString, targetUser, userAgent } from './event-text';
import { PRODUCT } from './product';

/** The released OCSF version whose class definitions the output follows (the tests validate against them). */
export const OCSF_VERSION = '1.8.0';

type Json = Record<string, unknown>;

/**
 * Where a class requires an entity the event does not name (an anonymous request has no user, a page view
 * without a page name no page), OCSF still needs the object; this name says plainly that it is not known.
 */
const UNKNOWN = 'unknown';

function actorUser(event: AuditEvent): Json | undefined {
  if (event.userId === null && event.user === null) return undefined;
  const user: Json = { type_id: 1, type: 'User' };
  if (event.userId !== null) user.uid = event.userId;
  if (event.user !== null) {
    user.name = event.user.userName;
    // The contract's e-mail is loose (it only needs an "@"); one OCSF's email_t refuses stays in unmapped.
    if (OCSF_EMAIL.test(event.user.email)) user.email_addr = event.user.email;
  }
  // OCSF's user needs a name or uid; a snapshot with an empty userName and no id has neither.
  if (user.uid === undefined && !user.name) user.name = UNKNOWN;
  return user;
}

/** OCSF 1.8.0's email_t pattern (dictionary.json), so no e-mail it refuses is sent as one. */
const OCSF_EMAIL = /^[a-zA-Z0-9!#$%&'*+-/=?^_`{|}~.]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+$/;

/** OCSF's ip_t holds at most 40 characters; an IPv6 address with an embedded IPv4 one can have 45. */
const OCSF_IP_MAX_LENGTH = 40;

const unknownUser = (): Json => ({ type_id: 0, type: 'Unknown', name: UNKNOWN });

function unmapped(event: AuditEvent): Json | undefined {
  const rest: Json = {};
  if (event.user !== null && !OCSF_EMAIL.test(event.user.email)) rest.userEmail = event.user.email;
  if (event.ipAddress !== null && event.ipAddress.length > OCSF_IP_MAX_LENGTH) rest.ipAddress = event.ipAddress;
  if (event.pageName !== null) rest.pageName = event.pageName;
  if (event.queryName !== null) rest.queryName = event.queryName;
  if (event.resourceName !== null) rest.resourceName = event.resourceName;
  if (Object.keys(event.metadata).length > 0) rest.metadata = event.metadata;
  return Object.keys(rest).length > 0 ? rest : undefined;
}

/** The entity an Entity Management action changes: the organization, a resource, a workflow or its trigger. */
function managedEntity(event: AuditEvent): Json {
  switch (event.actionType) {
    case 'UPDATE_ORGANIZATION':
      return { uid: event.organizationId, type: 'Organization', type_id: 4 };
    case 'CREATE_RESOURCE':
    case 'UPDATE_RESOURCE':
    case 'DELETE_RESOURCE':
      return { name: event.resourceName || UNKNOWN, type: 'Resource', type_id: 99 };
    default: {
      const uid = metadataString(event, 'workflowId');
      const type = event.actionType === 'ENABLE_TRIGGER' || event.actionType === 'DISABLE_TRIGGER' ? 'Workflow Trigger' : 'Workflow';
      return uid === undefined ? { name: event.pageName || UNKNOWN, type, type_id: 99 } : { name: event.pageName || UNKNOWN, uid, type, type_id: 99 };
    }
  }
}

function resources(event: AuditEvent): Json[] | undefined {
  const list: Json[] = [];
  if (event.resourceName) list.push({ name: event.resourceName, type: 'Resource' });
  if (event.queryName) list.push({ name: event.queryName, type: 'Query' });
  if (event.pageName) list.push({ name: event.pageName, type: event.actionType.includes('WORKFLOW') ? 'Workflow' : 'Page' });
  return list.length > 0 ? list : undefined;
}

/**
 * One event as an OCSF 1.8.0 event of the class its action type maps to (docs/stream-formats.md).
 * `metadata.uid` is the event id, so a receiver deduplicates the at-least-once stream on it.
 */
export function toOcsf(event: AuditEvent): Json {
  const format = actionFormat(event.actionType);
  const cls = OCSF_CLASSES[format.ocsf.class];
  const severityId = ocsfSeverityId(format.severity);
  const user = actorUser(event);
  const out: Json = {
    class_uid: cls.uid,
    class_name: cls.name,
    category_uid: cls.categoryUid,
    category_name: cls.categoryName,
    activity_id: format.ocsf.activityId,
    activity_name: format.ocsf.activityName,
    type_uid: cls.uid * 100 + format.ocsf.activityId,
    type_name: `${cls.name}: ${format.ocsf.activityName}`,
    severity_id: severityId,
    severity: OCSF_SEVERITY_NAMES[severityId],
    // The platform records actions that were carried out.
    status_id: 1,
    status: 'Success',
    time: epochMs(event.createdAt),
    message: format.title,
    metadata: {
      uid: event.id,
      version: OCSF_VERSION,
      product: { name: PRODUCT.name, vendor_name: PRODUCT.vendor, version: String(event.schemaVersion) },
      tenant_uid: event.organizationId,
      event_code: event.actionType,
      logged_time: epochMs(event.receivedAt),
    },
    // Without a user, the action was done through the application itself (a sign-up, a reset request).
    actor: user === undefined ? { app_name: PRODUCT.name } : { user },
  };
  if (event.responseTimeMs !== null) out.duration = event.responseTimeMs;
  if (event.ipAddress !== null && event.ipAddress.length <= OCSF_IP_MAX_LENGTH) out.src_endpoint = { ip: event.ipAddress };
  const agent = userAgent(event);
  if (agent !== undefined) out.http_request = { user_agent: agent };

  switch (format.ocsf.class) {
    case 'apiActivity':
      // API Activity requires the source endpoint; an event without an address names none.
      if (out.src_endpoint === undefined) out.src_endpoint = { name: UNKNOWN };
      out.api = { operation: event.actionType, service: { name: PRODUCT.name } };
      {
        const list = resources(event);
        if (list !== undefined) out.resources = list;
      }
      break;
    case 'webResourcesActivity':
      // Web Resources Activity has its actor through the host profile only.
      (out.metadata as Json).profiles = ['host'];
      out.web_resources = [{ name: event.pageName || UNKNOWN, type: 'Page' }];
      break;
    case 'authentication':
      out.user = user ?? unknownUser();
      out.service = { name: PRODUCT.name };
      break;
    case 'accountChange': {
      const target = targetUser(event);
      out.user = target === undefined ? (user ?? unknownUser()) : OCSF_EMAIL.test(target) ? { name: target, email_addr: target } : { name: target };
      break;
    }
    case 'groupManagement':
      out.group = { name: groupName(event) ?? UNKNOWN };
      break;
    case 'entityManagement':
      out.entity = managedEntity(event);
      break;
    default: {
      const unreachable: never = format.ocsf.class;
      throw new Error(`no OCSF class ${String(unreachable)}`);
    }
  }
  const rest = unmapped(event);
  if (rest !== undefined) out.unmapped = rest;
  return out;
}
