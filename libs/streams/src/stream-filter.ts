import type { AuditEvent, StreamFilter } from '@audit/contracts';

/** Whether an event passes a stream's filter: the same meaning as the filters of GET /v1/events. */
export function matchesFilter(filter: StreamFilter, event: AuditEvent): boolean {
  if (filter.actionType && !filter.actionType.includes(event.actionType)) return false;
  if (filter.userId !== undefined && event.userId !== filter.userId) return false;
  if (filter.pageName !== undefined && event.pageName !== filter.pageName) return false;
  if (filter.queryName !== undefined && event.queryName !== filter.queryName) return false;
  if (filter.resourceName !== undefined && event.resourceName !== filter.resourceName) return false;
  if (filter.ipAddress !== undefined && event.ipAddress !== filter.ipAddress) return false;
  if (filter.q !== undefined) {
    const needle = filter.q.toLowerCase();
    const query = (event.metadata as Record<string, unknown>).query;
    const haystacks = [event.pageName, event.queryName, event.resourceName, typeof query === 'string' ? query : null];
    if (!haystacks.some((h) => h !== null && h !== undefined && h.toLowerCase().includes(needle))) return false;
  }
  return true;
}
