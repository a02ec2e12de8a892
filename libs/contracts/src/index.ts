/**
 * `@audit/contracts`: the event contract (schema version 1) shared by every
 * emitter, ingest, the bus and the writer. Dependency-free (Node built-ins
 * only) so that clients can import it without pulling in the server.
 *
 * Import from `@audit/contracts` only; the files behind this barrel are not API.
 */
export { ACTION_TYPES, ACTION_TYPE_GROUPS, isActionType } from './action-types';
export type { ActionType, ActionTypeGroup } from './action-types';
export { LIMITS, MAX_BATCH_EVENTS } from './limits';
export type {
  AuditEvent,
  AuditEventInput,
  AuditUserSnapshot,
  BatchFieldError,
  BatchValidationResult,
  EventValidationResult,
  FieldError,
  ValidateOptions,
} from './event';
export { CLICKHOUSE_EVENT_COLUMNS, CSV_EVENT_COLUMNS, EVENT_FIELDS, EVENT_FIELD_NAMES, POSTGRES_EVENT_COLUMNS } from './event-fields';
export type { ClickHouseEventColumn, ColumnList, EventField, EventFieldsChecked, PostgresEventColumn } from './event-fields';
export { eventJsonSchema } from './event-schema';
export type { EventInputChecked, EventSchemaShape, JsonSchema } from './event-schema';
export { validateEvent } from './validate';
export { canonicalEventOf, canonicalInstantMs } from './canonical';
export { findPrototypeKey, jsonMayHoldPrototypeKey } from './prototype-keys';
export type { PrototypeKey } from './prototype-keys';
export { eventJson, metadataJson } from './event-json';
export { erasedEvent, isErasedBy } from './erased-event';
export { validateBatch } from './batch';
export { eventMessageId } from './message-id';
export { storableText, storedTextProblem, unstorableTextAt } from './text';
export { isUuid, uuidv7 } from './uuid';
export { parseIsoDateTime } from './iso-date';
export type { EventDetail, EventSummary, EventUser, Page, ResponseTimeItem, Summary, TimeseriesItem, TopUserItem, UserItem } from './read-api';
export { claimAt, mappedOrgAndRole } from './oidc-claims';
export type { OidcClaimMapping } from './oidc-claims';
export { DESTINATION_TYPES, SECRET_FIELDS, STREAM_FORMATS, STREAM_STATUSES } from './streams-api';
export type {
  DatadogDestination,
  DeliveryRecord,
  Destination,
  DestinationSecrets,
  DestinationType,
  S3Destination,
  SplunkDestination,
  StreamFilter,
  StreamFormat,
  StreamLag,
  StreamStatus,
  StreamView,
  SyslogDestination,
  TestDeliveryResult,
  WebhookDestination,
} from './streams-api';
export type { ConsistencyProofBody, EventProof, LogCheckpoint, LogCheckpointPage, LogKeys } from './log-api';
