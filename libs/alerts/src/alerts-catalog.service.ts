import { randomUUID } from 'node:crypto';
import type { LookupFunction } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { isUuid } from '@audit/contracts';
import { ActivityRecorder } from '@audit/messaging';
import { AppError } from '@audit/platform';
import type { SettingsActor } from '@audit/settings';
import { assertPublicDestination, InternalAddressError, pinnedLookup, SecretBox, STREAMS_CONFIG, type StreamsConfig } from '@audit/streams';
import { readAlertInput, type AlertInput } from './alert-input';
import { AlertsRepository, type AlertWrite } from './alerts.repository';
import { alertView, firingView, type AlertRecord, type AlertView, type FiringView } from './model';
import { floorToMinute } from './minutes';
import { recordChange } from './record-change';

const invalid = (path: string, reason: string) => new AppError('VALIDATION_FAILED', `invalid alert: ${path} ${reason}`, [{ path, reason }]);

/**
 * An organization's alerts (`/v1/alerts`) and their firings. Each change is recorded first (recordChange). The webhook secret is sealed with the streams'
 * SecretBox (the alert id bound to it) and never shown again; the webhook URL passes the streams' network
 * guard when saved (and again before each delivery), so an alert cannot probe the platform's own network.
 */
@Injectable()
export class AlertsCatalog {
  constructor(
    private readonly repository: AlertsRepository,
    private readonly box: SecretBox,
    private readonly recorder: ActivityRecorder,
    @Inject(STREAMS_CONFIG) private readonly streams: StreamsConfig,
  ) {}

  async list(organizationId: string): Promise<AlertView[]> {
    return (await this.repository.listAlerts(organizationId)).map(alertView);
  }

  /** The alert, or 404: another organization's does not exist for the caller. */
  async get(organizationId: string, id: string): Promise<AlertRecord> {
    const found = isUuid(id) ? await this.repository.getAlert(organizationId, id) : undefined;
    if (!found) throw new AppError('NOT_FOUND', `no alert ${id} in organization ${organizationId}`);
    return found;
  }

  async create(organizationId: string, body: unknown, actor: SettingsActor, now = new Date()): Promise<AlertView> {
    const input = await this.validate(organizationId, body, true);
    const id = randomUUID();
    await recordChange(this.recorder, organizationId, actor, 'alerts', 'create', { id, name: input.name });
    const created = await this.repository.createAlert(this.write(organizationId, id, input, input.secret as string), floorToMinute(now));
    return alertView(this.stored(created));
  }

  /** Replaces the definition; without `webhook.secret` the stored secret is kept. */
  async replace(organizationId: string, id: string, body: unknown, actor: SettingsActor, now = new Date()): Promise<AlertView> {
    const current = await this.get(organizationId, id);
    const input = await this.validate(organizationId, body, false);
    await recordChange(this.recorder, organizationId, actor, 'alerts', 'update', { id, name: input.name });
    const secret = input.secret ?? this.secretOf(current);
    const updated = await this.repository.updateAlert(this.write(organizationId, id, input, secret), floorToMinute(now));
    if (updated === 'not_found') throw new AppError('NOT_FOUND', `no alert ${id} in organization ${organizationId}`);
    return alertView(this.stored(updated));
  }

  async delete(organizationId: string, id: string, actor: SettingsActor): Promise<void> {
    const current = await this.get(organizationId, id);
    await recordChange(this.recorder, organizationId, actor, 'alerts', 'delete', current);
    if (!(await this.repository.deleteAlert(organizationId, id))) throw new AppError('NOT_FOUND', `no alert ${id} in organization ${organizationId}`);
  }

  /** The organization's firings, newest first; one alert's when `alertId` is given (404 if not the caller's). */
  async firings(organizationId: string, alertId: string | undefined, limitRaw: unknown): Promise<FiringView[]> {
    const limit = limitRaw === undefined ? 50 : Number(limitRaw);
    if (limitRaw !== undefined && (typeof limitRaw !== 'string' || !/^\d+$/.test(limitRaw) || limit < 1 || limit > 500)) {
      throw new AppError('VALIDATION_FAILED', 'limit must be an integer from 1 to 500', [{ path: 'limit', reason: 'must be an integer from 1 to 500' }]);
    }
    if (alertId !== undefined) await this.get(organizationId, alertId);
    return (await this.repository.firings(organizationId, alertId, limit)).map(firingView);
  }

  /** The alert's webhook secret, opened. */
  secretOf(alert: Pick<AlertRecord, 'id' | 'sealedSecret'>): string {
    return String(this.box.open(alert.id, alert.sealedSecret).secret);
  }

  /** Whether the webhook may be reached from here (the operator's STREAMS_ALLOW_PRIVATE_NETWORKS applies to alerts too). */
  assertPublicWebhook(url: string): Promise<void> {
    return assertPublicDestination({ type: 'webhook', url }, this.streams.allowPrivateNetworks);
  }

  /** The lookup a delivery's connection goes through: it refuses an internal address as it resolves the name. */
  webhookLookup(): LookupFunction {
    return pinnedLookup('webhook.url', this.streams.allowPrivateNetworks);
  }

  private async validate(organizationId: string, body: unknown, creating: boolean): Promise<AlertInput> {
    const input = readAlertInput(body, creating);
    if ('savedSearchId' in input.source && !(await this.repository.getSearch(organizationId, input.source.savedSearchId))) {
      throw invalid('savedSearchId', 'names no saved search of the organization');
    }
    try {
      await this.assertPublicWebhook(input.webhookUrl);
    } catch (error) {
      if (error instanceof InternalAddressError) throw invalid('webhook.url', 'resolves to an internal address; alerts may not reach the platform’s own network unless STREAMS_ALLOW_PRIVATE_NETWORKS=true');
      throw error;
    }
    return input;
  }

  private write(organizationId: string, id: string, input: AlertInput, secret: string): AlertWrite {
    return {
      id,
      organizationId,
      name: input.name,
      savedSearchId: 'savedSearchId' in input.source ? input.source.savedSearchId : null,
      query: 'query' in input.source ? input.source.query : null,
      condition: input.condition,
      webhookUrl: input.webhookUrl,
      sealedSecret: this.box.seal(id, { secret }),
      enabled: input.enabled,
    };
  }

  private stored(outcome: AlertRecord | 'name_taken' | 'search_gone'): AlertRecord {
    if (outcome === 'name_taken') throw invalid('name', 'is taken by another alert of the organization');
    if (outcome === 'search_gone') throw invalid('savedSearchId', 'names no saved search of the organization');
    return outcome;
  }
}
