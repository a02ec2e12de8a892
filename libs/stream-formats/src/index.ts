/**
 * `@audit/stream-formats`: one canonical event as one record of a stream's wire format. Pure (no I/O).
 *
 * - `json`: the native event (schema version 1) as single-line JSON.
 * - `ocsf`: an OCSF 1.8.0 event of the class its action type maps to, single-line JSON.
 * - `cef`: one `CEF:0|…` line (ArcSight CEF) for a syslog message.
 * - `ecs`: an Elastic Common Schema 8.11 document, single-line JSON.
 *
 * Every format carries the event id (`id`, `metadata.uid`, `externalId`, `event.id`) so receivers of an
 * at-least-once stream can deduplicate. The mapping of action types is docs/stream-formats.md.
 */
import type { AuditEvent, StreamFormat } from '@audit/contracts';
import { toCef } from './cef';
import { toEcs } from './ecs';
import { toOcsf } from './ocsf';

// The list of formats belongs to the streams API's contract; re-exported so callers of the renderer have it here.
export { STREAM_FORMATS } from '@audit/contracts';
export type { StreamFormat } from '@audit/contracts';

/**
 * One event as one record of `format`: no trailing newline; json, ocsf and ecs are single-line JSON.
 * `native` is the event's own single-line JSON when the caller already holds it (a consumer has the bus
 * message's text, which ingest serialised): json and ecs use it rather than serialise the event again.
 */
export function formatEvent(format: StreamFormat, event: AuditEvent, native?: string): string {
  switch (format) {
    case 'json':
      return native ?? JSON.stringify(event);
    case 'ocsf':
      return JSON.stringify(toOcsf(event));
    case 'cef':
      return toCef(event);
    case 'ecs':
      return JSON.stringify(toEcs(event, native ?? JSON.stringify(event)));
    default: {
      const unreachable: never = format;
      throw new Error(`unknown stream format ${String(unreachable)}`);
    }
  }
}

export { ACTION_FORMATS, OCSF_CLASSES, UnmappedActionTypeError } from './action-formats';
export type { ActionFormat, EcsCategory, OcsfClassKey } from './action-formats';
export { OCSF_VERSION } from './ocsf';
export { ECS_VERSION } from './ecs';
