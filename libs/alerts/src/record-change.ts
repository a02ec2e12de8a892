import type { ActivityRecorder } from '@audit/messaging';
import type { SettingsActor } from '@audit/settings';

/**
 * Records a change to the organization's saved searches or alerts as settings changes are recorded
 * (UPDATE_ORGANIZATION, `metadata.setting`), before it is made: a change the bus cannot record is refused
 * (503 BUS_UNAVAILABLE) rather than made unseen. Names and ids only: never a query's values or a secret.
 */
export async function recordChange(
  recorder: ActivityRecorder,
  organizationId: string,
  actor: SettingsActor,
  setting: 'savedSearches' | 'alerts',
  change: 'create' | 'update' | 'delete',
  subject: { id: string; name: string },
): Promise<void> {
  await recorder.record({
    organizationId,
    actionType: 'UPDATE_ORGANIZATION',
    userId: actor.userId,
    ipAddress: actor.ipAddress,
    metadata: { setting, via: actor.via, change, id: subject.id, name: subject.name },
  });
}
