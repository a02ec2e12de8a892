/**
 * `@audit/audit-client`: the typed client emitting services use to send audit
 * events, over NATS JetStream ({@link NatsTransport}) or HTTP
 * ({@link HttpTransport}). Depends only on `@audit/contracts` and the NATS
 * client packages, never on the server libraries.
 *
 * Import from `@audit/audit-client` only; the files behind this barrel are not API.
 */
export { AuditClient } from './audit-client';
export type { AuditClientOptions } from './audit-client';
export { AuditClientError } from './errors';
export type { AuditClientErrorCode, AuditClientErrorOptions } from './errors';
export type { AuditEventWithId, AuditTransport } from './transport';
export { NatsTransport } from './nats-transport';
export type { NatsConnectOptions, NatsIdentity, NatsTransportOptions } from './nats-transport';
export { HttpTransport } from './http-transport';
export type { HttpTransportOptions } from './http-transport';
export { createAuditClient } from './create-audit-client';
export type { CreateAuditClientOptions } from './create-audit-client';
export type { AuditEventInput, ActionType, FieldError } from '@audit/contracts';
