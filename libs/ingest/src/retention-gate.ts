import type { AuditEvent, BatchFieldError } from '@audit/contracts';
import { isPurged, type Retention } from '@audit/retention';

/** How an organization's retention reads in a refusal. */
export function describeRetention(retention: Retention): string {
  switch (retention.kind) {
    case 'cutoff':
      return `${retention.days} days`;
    case 'forever':
      return 'forever';
    case 'hold':
      return `a legal hold (${retention.reason})`;
  }
}

/**
 * The events of a batch that the next purge would delete at once: their `createdAt` lies before the
 * organization's retention cutoff. Accepting them would answer 202 for an event that is then silently
 * removed, so ingest refuses them instead. Exactly the purge's rule ({@link isPurged}): under a legal hold
 * or a retention of 0 (forever) nothing is purged, so nothing is refused.
 */
export function expiredEvents(events: readonly AuditEvent[], retention: Retention, isBatch: boolean): BatchFieldError[] {
  if (retention.kind !== 'cutoff') return [];
  const errors: BatchFieldError[] = [];
  events.forEach((event, index) => {
    if (!isPurged(retention, new Date(event.createdAt))) return;
    errors.push({
      index,
      path: isBatch ? `[${index}].createdAt` : 'createdAt',
      reason: `is ${event.createdAt}, older than the retention of organization "${event.organizationId}" (${describeRetention(retention)}: events created before ${retention.cutoff.toISOString()} are purged)`,
    });
  });
  return errors;
}
