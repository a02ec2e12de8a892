import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ApiKeysService } from '@audit/auth';
import { ActivityRecorder } from '@audit/messaging';
import type { ApiKeyRecord } from '@audit/persistence';
import { AppError } from '@audit/platform';
import type { SettingsActor } from './actor';
import { keyNameProblem } from './settings-body';

/** An ingest key as the API and the CLI show it: never the key, never its hash. */
export interface IngestKeyView {
  id: string;
  organizationId: string;
  name: string;
  /** The first characters of the key, to tell keys apart. */
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
}

export const toKeyView = (r: ApiKeyRecord): IngestKeyView => ({
  id: r.id,
  organizationId: r.organizationId,
  name: r.name,
  prefix: r.keyPrefix,
  createdAt: r.createdAt.toISOString(),
  revokedAt: r.revokedAt ? r.revokedAt.toISOString() : null,
});

/**
 * Creating and revoking ingest keys, for the settings API and the CLI alike. Each change is recorded
 * (an UPDATE_ORGANIZATION event with `setting: "ingestKeys"`) before it is made, so a change the bus
 * cannot record is refused (BUS_UNAVAILABLE) rather than made unseen.
 */
@Injectable()
export class IngestKeysAdministration {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly recorder: ActivityRecorder,
  ) {}

  async list(organizationId: string): Promise<IngestKeyView[]> {
    return (await this.keys.list(organizationId)).map(toKeyView);
  }

  /** Returns the key itself once, beside its view; only its hash is stored. */
  async create(organizationId: string, name: string, actor: SettingsActor): Promise<{ key: string; view: IngestKeyView }> {
    const problem = keyNameProblem(name);
    if (problem) throw new AppError('VALIDATION_FAILED', `invalid key: name ${problem}`, [{ path: 'name', reason: problem }]);
    const id = randomUUID();
    await this.record(organizationId, actor, { change: 'create', keyId: id, name });
    const { key, record } = await this.keys.create(organizationId, name, id);
    return { key, view: toKeyView(record) };
  }

  /**
   * Revokes a key of `organizationId`; another organization's key, an unknown or an already revoked one
   * is NOT_FOUND, so a caller learns nothing about keys that are not its own.
   */
  async revoke(organizationId: string, id: string, actor: SettingsActor): Promise<IngestKeyView> {
    const found = await this.keys.findById(id);
    if (!found || found.organizationId !== organizationId || found.revokedAt !== null) {
      throw new AppError('NOT_FOUND', `no active key with id ${id} in organization ${organizationId}`);
    }
    await this.record(organizationId, actor, { change: 'revoke', keyId: id, name: found.name });
    if (!(await this.keys.revoke(id, organizationId))) throw new AppError('NOT_FOUND', `no active key with id ${id} in organization ${organizationId}`);
    const after = await this.keys.findById(id);
    return toKeyView(after ?? found);
  }

  /** The organization a key belongs to (the CLI revokes by id alone), or undefined. */
  async organizationOf(id: string): Promise<string | undefined> {
    return (await this.keys.findById(id))?.organizationId;
  }

  private async record(organizationId: string, actor: SettingsActor, change: Record<string, unknown>): Promise<void> {
    await this.recorder.record({
      organizationId,
      actionType: 'UPDATE_ORGANIZATION',
      userId: actor.userId,
      ipAddress: actor.ipAddress,
      metadata: { setting: 'ingestKeys', via: actor.via, ...change },
    });
  }
}
