import { Injectable } from '@nestjs/common';
import { ActivityRecorder } from '@audit/messaging';
import { RedactionRulesRepository } from '@audit/persistence';
import { AppError } from '@audit/platform';
import type { SettingsActor } from './actor';

export interface HiddenParametersView {
  organizationId: string;
  /** Queries whose `parameters` ingest removes before anything is stored, by name, with the rule's date. */
  queries: Array<{ queryName: string; since: string }>;
}

/** Room kept for the names of one change inside an event's 32 KiB of metadata. */
const MAX_RECORDED_NAMES_BYTES = 30_000;

/**
 * The organization's hidden query parameters, for the settings API and the CLI alike. A change is
 * recorded (UPDATE_ORGANIZATION, `setting: "hiddenParameters"`, with the names added and removed) before
 * it is made; a change that makes no difference records nothing.
 */
@Injectable()
export class HiddenParametersAdministration {
  constructor(
    private readonly rules: RedactionRulesRepository,
    private readonly recorder: ActivityRecorder,
  ) {}

  async get(organizationId: string): Promise<HiddenParametersView> {
    const rules = await this.rules.list(organizationId);
    return { organizationId, queries: rules.map((r) => ({ queryName: r.queryName, since: r.createdAt.toISOString() })) };
  }

  /** Makes `queries` exactly the hidden ones. */
  async replace(organizationId: string, queries: readonly string[], actor: SettingsActor): Promise<HiddenParametersView> {
    const current = new Set((await this.rules.list(organizationId)).map((r) => r.queryName));
    const wanted = new Set(queries);
    const added = [...wanted].filter((q) => !current.has(q)).sort();
    const removed = [...current].filter((q) => !wanted.has(q)).sort();
    if (added.length === 0 && removed.length === 0) return this.get(organizationId);
    if (Buffer.byteLength(JSON.stringify([added, removed])) > MAX_RECORDED_NAMES_BYTES) {
      throw new AppError('VALIDATION_FAILED', 'invalid hidden parameters: queries changes too many long names to record in one audit event; change fewer at once', [
        { path: 'queries', reason: `the names added and removed must fit in ${MAX_RECORDED_NAMES_BYTES} bytes` },
      ]);
    }
    await this.recorder.record({
      organizationId,
      actionType: 'UPDATE_ORGANIZATION',
      userId: actor.userId,
      ipAddress: actor.ipAddress,
      metadata: { setting: 'hiddenParameters', via: actor.via, added, removed },
    });
    await this.rules.replace(organizationId, [...wanted]);
    return this.get(organizationId);
  }

  /** Hides (or shows again) one query's parameters: the CLI's one-name change. Returns false when nothing changed. */
  async set(organizationId: string, queryName: string, hidden: boolean, actor: SettingsActor): Promise<boolean> {
    const current = (await this.rules.list(organizationId)).map((r) => r.queryName);
    if (current.includes(queryName) === hidden) return false;
    await this.replace(organizationId, hidden ? [...current, queryName] : current.filter((q) => q !== queryName), actor);
    return true;
  }
}
