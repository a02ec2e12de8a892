/**
 * The `Nats-Msg-Id` of an event on the bus (`AUDIT_INGEST`, `AUDIT_EVENTS`): its organization and its id.
 *
 * A stream drops a repeated message id within its duplicate window whatever the subject, while an event id
 * is unique only within its organization (the emitter chooses it). Keyed by the id alone, one organization's
 * event silently suppressed another's that carried the same id, though both were accepted.
 * `organizationId` holds no `:` (it is a subject token), so the pair reads back unambiguously.
 */
export function eventMessageId(organizationId: string, id: string): string {
  return `${organizationId}:${id}`;
}
