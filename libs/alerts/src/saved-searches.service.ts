import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { isUuid } from '@audit/contracts';
import { ActivityRecorder } from '@audit/messaging';
import { AppError } from '@audit/platform';
import type { SettingsActor } from '@audit/settings';
import { readSavedSearchInput } from './alert-input';
import { AlertsRepository } from './alerts.repository';
import { savedSearchView, type SavedSearchRecord, type SavedSearchView } from './model';
import { recordChange } from './record-change';

const nameTaken = () => new AppError('VALIDATION_FAILED', 'invalid saved search: name is taken by another saved search of the organization', [{ path: 'name', reason: 'is taken by another saved search of the organization' }]);

const inUse = (alerts: string[]): AppError => {
  const reason = `is watched by the alerts ${alerts.join(', ')}: delete them or give them another search first`;
  return new AppError('BAD_REQUEST', `the saved search ${reason}`, [{ path: 'id', reason }]);
};

/** An organization's saved searches (`/v1/searches`): a name and a query in the search language. Each change is recorded first (recordChange). */
@Injectable()
export class SavedSearches {
  constructor(
    private readonly repository: AlertsRepository,
    private readonly recorder: ActivityRecorder,
  ) {}

  async list(organizationId: string): Promise<SavedSearchView[]> {
    return (await this.repository.listSearches(organizationId)).map(savedSearchView);
  }

  /** The saved search, or 404: another organization's does not exist for the caller. */
  async get(organizationId: string, id: string): Promise<SavedSearchRecord> {
    const found = isUuid(id) ? await this.repository.getSearch(organizationId, id) : undefined;
    if (!found) throw new AppError('NOT_FOUND', `no saved search ${id} in organization ${organizationId}`);
    return found;
  }

  async create(organizationId: string, body: unknown, actor: SettingsActor): Promise<SavedSearchView> {
    const input = readSavedSearchInput(body);
    const id = randomUUID();
    await recordChange(this.recorder, organizationId, actor, 'savedSearches', 'create', { id, name: input.name });
    const created = await this.repository.createSearch({ id, organizationId, ...input });
    if (!created) throw nameTaken();
    return savedSearchView(created);
  }

  /** Replaces name and query; alerts watching it evaluate the new query from their next minute. */
  async replace(organizationId: string, id: string, body: unknown, actor: SettingsActor): Promise<SavedSearchView> {
    await this.get(organizationId, id);
    const input = readSavedSearchInput(body);
    await recordChange(this.recorder, organizationId, actor, 'savedSearches', 'update', { id, name: input.name });
    const updated = await this.repository.updateSearch(organizationId, id, input.name, input.query);
    if (!updated) throw nameTaken();
    return savedSearchView(updated);
  }

  /** Refused (400 naming the alerts) while an alert watches it. */
  async delete(organizationId: string, id: string, actor: SettingsActor): Promise<void> {
    const current = await this.get(organizationId, id);
    const watching = await this.repository.alertsWatching(organizationId, id);
    if (watching.length > 0) throw inUse(watching);
    await recordChange(this.recorder, organizationId, actor, 'savedSearches', 'delete', current);
    const outcome = await this.repository.deleteSearch(organizationId, id);
    if (outcome === 'not_found') throw new AppError('NOT_FOUND', `no saved search ${id} in organization ${organizationId}`);
    // An alert made to watch it meanwhile.
    if (outcome === 'in_use') throw inUse(await this.repository.alertsWatching(organizationId, id));
  }
}
