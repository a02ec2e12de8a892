import type { AuditEvent } from '@audit/contracts';
import { actionFormat } from './action-formats';
import { epochMs, targetUser, userAgent } from './event-text';
import { PRODUCT } from './product';

/**
 * A CEF header field: the spec escapes `\` and `|`. A line break would end the syslog message, so CR and
 * LF are written as `\r` and `\n` as in extension values.
 */
export function escapeCefHeader(value: string): string {
  return /[\\|\r\n]/.test(value) ? value.replace(/[\\|\r\n]/g, (c) => HEADER_ESCAPES[c]) : value;
}

const HEADER_ESCAPES: Record<string, string> = { '\\': '\\\\', '|': '\\|', '\r': '\\r', '\n': '\\n' };

/** A CEF extension value: the spec escapes `\` and `=`, and writes CR and LF as `\r` and `\n`. */
export function escapeCefValue(value: string): string {
  return /[\\=\r\n]/.test(value) ? value.replace(/[\\=\r\n]/g, (c) => VALUE_ESCAPES[c]) : value;
}

const VALUE_ESCAPES: Record<string, string> = { '\\': '\\\\', '=': '\\=', '\r': '\\r', '\n': '\\n' };

/** IPv4 goes in `src`; CEF has `c6a2` (Source IPv6 Address) for IPv6. */
const isIpv4 = (ip: string): boolean => !ip.includes(':');

/**
 * One event as one CEF:0 line (ArcSight CEF), to be carried as a syslog message. Signature ID
 * (deviceEventClassId) and `act` are the action type; `externalId` is the event id, so a receiver
 * deduplicates the at-least-once stream on it. Keys come from the CEF dictionary; the fields that have none
 * use the custom string and number pairs (`cs1`..`cs6`, `cn1`) with their labels.
 */
export function toCef(event: AuditEvent): string {
  const format = actionFormat(event.actionType);
  const header = [
    'CEF:0',
    escapeCefHeader(PRODUCT.vendor),
    escapeCefHeader(PRODUCT.name),
    String(event.schemaVersion),
    escapeCefHeader(event.actionType),
    escapeCefHeader(format.title),
    String(format.severity),
  ].join('|');
  const ext: string[] = [`rt=${epochMs(event.createdAt)}`, `externalId=${escapeCefValue(event.id)}`, `act=${escapeCefValue(event.actionType)}`];
  const add = (key: string, value: string): void => {
    ext.push(`${key}=${escapeCefValue(value)}`);
  };
  if (event.userId !== null) add('suid', event.userId);
  if (event.user !== null) add('suser', event.user.userName);
  if (event.ipAddress !== null) {
    if (isIpv4(event.ipAddress)) add('src', event.ipAddress);
    else add('c6a2', event.ipAddress);
  }
  const target = targetUser(event);
  if (target !== undefined) add('duser', target);
  const agent = userAgent(event);
  if (agent !== undefined) add('requestClientApplication', agent);
  if (event.responseTimeMs !== null) ext.push(`cn1=${event.responseTimeMs}`, 'cn1Label=responseTimeMs');
  const custom = (key: string, label: string, value: string | null): void => {
    if (value === null) return;
    add(key, value);
    ext.push(`${key}Label=${label}`);
  };
  custom('cs1', 'organizationId', event.organizationId);
  custom('cs2', 'pageName', event.pageName);
  custom('cs3', 'queryName', event.queryName);
  custom('cs4', 'resourceName', event.resourceName);
  custom('cs5', 'userEmail', event.user === null ? null : event.user.email);
  custom('cs6', 'metadata', Object.keys(event.metadata).length > 0 ? JSON.stringify(event.metadata) : null);
  return `${header}|${ext.join(' ')}`;
}
