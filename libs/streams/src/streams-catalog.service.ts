import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { isUuid, SECRET_FIELDS, type DestinationSecrets, type StreamLag, type StreamView } from '@audit/contracts';
import { AppError } from '@audit/platform';
import { STREAMS_CONFIG, type StreamsConfig } from './config';
import type { StreamInput, StreamRecord } from './model';
import { assertPublicDestination, InternalAddressError } from './network-guard';
import { parseStreamInput, type Problem } from './parse-stream-input';
import { SecretBox } from './secret-box';
import type { BeforeStreamChange } from './stream-changes';
import { StreamsRepository } from './streams.repository';

/** The stream as the API shows it: never a secret, only the names of those set. */
export function streamView(stream: StreamRecord, secretsSet: string[], lag: StreamLag | null): StreamView {
  return {
    id: stream.id,
    name: stream.name,
    destination: { ...stream.destination, secretsSet },
    filter: stream.filter,
    format: stream.format,
    state: { status: stream.status, lastError: stream.lastError, since: stream.statusChangedAt.toISOString() },
    replay: stream.replayFrom && stream.replayUntilSeq !== null ? { from: stream.replayFrom.toISOString(), untilSequence: stream.replayUntilSeq } : null,
    lag,
    createdAt: stream.createdAt.toISOString(),
    updatedAt: stream.updatedAt.toISOString(),
  };
}

const changed = (stream: StreamRecord) => ({ id: stream.id, name: stream.name, destinationType: stream.destination.type });

const invalid = (problems: Problem[]): AppError =>
  new AppError('VALIDATION_FAILED', `invalid stream: ${problems.map((p) => `${p.path || 'body'} ${p.reason}`).join('; ')}`, problems);

export interface ApplyResult {
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
}

/**
 * An organization's streams: create, replace, delete, pause, resume, and `apply` (make them match a file).
 * Every entry validates, checks the destination is not internal, and seals the secrets before it is stored.
 * `before` (the audit record of the change, by the API or the CLI) runs once a change is valid and before it is written.
 */
@Injectable()
export class StreamsCatalog {
  constructor(
    private readonly repository: StreamsRepository,
    private readonly box: SecretBox,
    @Inject(STREAMS_CONFIG) private readonly config: StreamsConfig,
  ) {}

  /** The stream as the API shows it, with its lag as read from the bus (null when not known). */
  view(stream: StreamRecord, lag: StreamLag | null): StreamView {
    return streamView(stream, Object.keys(this.secretsOf(stream)).filter((k) => SECRET_FIELDS[stream.destination.type].includes(k as keyof DestinationSecrets)), lag);
  }

  /** The stream's secrets, opened (empty when it has none). */
  secretsOf(stream: StreamRecord): DestinationSecrets {
    return stream.sealedSecrets ? (this.box.open(stream.id, stream.sealedSecrets) as DestinationSecrets) : {};
  }

  async list(organizationId: string): Promise<StreamRecord[]> {
    return this.repository.list(organizationId);
  }

  /** The stream, or 404: another organization's stream does not exist for the caller. */
  async get(organizationId: string, id: string): Promise<StreamRecord> {
    const stream = isUuid(id) ? await this.repository.get(organizationId, id) : undefined;
    if (!stream) throw new AppError('NOT_FOUND', `no stream ${id} in organization ${organizationId}`);
    return stream;
  }

  async create(organizationId: string, body: unknown, before?: BeforeStreamChange): Promise<StreamRecord> {
    const input = await this.validate(body, true);
    const id = randomUUID();
    await before?.({ id, name: input.name, destinationType: input.destination.type });
    const created = await this.repository.create({ id, organizationId, ...input, sealedSecrets: this.seal(id, input.secrets) });
    if (!created) throw invalid([{ path: 'name', reason: 'is taken by another stream of the organization' }]);
    return created;
  }

  /** Replaces the definition; secret fields left out keep their stored values (if the destination type is unchanged). */
  async replace(organizationId: string, id: string, body: unknown, before?: BeforeStreamChange): Promise<StreamRecord> {
    const current = await this.get(organizationId, id);
    const input = await this.validate(body, false);
    const secrets = this.mergedSecrets(current, input);
    await before?.({ id, name: input.name, destinationType: input.destination.type });
    const replaced = await this.repository.replace({ id, organizationId, ...input, sealedSecrets: this.seal(id, secrets) });
    if (!replaced) {
      await this.get(organizationId, id);
      throw invalid([{ path: 'name', reason: 'is taken by another stream of the organization' }]);
    }
    return replaced;
  }

  async delete(organizationId: string, id: string, before?: BeforeStreamChange): Promise<void> {
    const current = await this.get(organizationId, id);
    await before?.(changed(current));
    await this.repository.delete(organizationId, id);
  }

  async setPaused(organizationId: string, id: string, paused: boolean, before?: BeforeStreamChange): Promise<StreamRecord> {
    const current = await this.get(organizationId, id);
    await before?.(changed(current));
    const stream = await this.repository.setPaused(organizationId, id, paused);
    if (!stream) throw new AppError('NOT_FOUND', `no stream ${id} in organization ${organizationId}`);
    return stream;
  }

  /**
   * Makes the organization's streams match `entries` (matched by name): creates the new, replaces the
   * changed, deletes the absent. Everything is validated first, so a bad file changes nothing. Applying the
   * same file again changes nothing. `before(change)` (the CLI's audit record) runs before each change is
   * written: when it throws, that change and the ones after it are not made.
   */
  async apply(organizationId: string, entries: unknown, before?: (change: 'create' | 'update' | 'delete') => BeforeStreamChange): Promise<ApplyResult> {
    if (!Array.isArray(entries)) throw invalid([{ path: 'streams', reason: 'must be a list of streams' }]);
    const problems: Problem[] = [];
    const inputs: StreamInput[] = [];
    const current = new Map((await this.repository.list(organizationId)).map((s) => [s.name, s]));
    const names = new Set<string>();
    for (const [i, entry] of entries.entries()) {
      const name = (entry as { name?: unknown } | null)?.name;
      const parsed = parseStreamInput(entry, typeof name !== 'string' || !current.has(name));
      if (!parsed.ok) {
        problems.push(...parsed.problems.map((p) => ({ path: `streams[${i}]${p.path ? `.${p.path}` : ''}`, reason: p.reason })));
        continue;
      }
      if (names.has(parsed.input.name)) problems.push({ path: `streams[${i}].name`, reason: 'appears twice in the file' });
      names.add(parsed.input.name);
      try {
        await assertPublicDestination(parsed.input.destination, this.config.allowPrivateNetworks);
      } catch (error) {
        if (!(error instanceof InternalAddressError)) throw error;
        problems.push({ path: `streams[${i}].${error.field}`, reason: error.message });
      }
      inputs.push(parsed.input);
    }
    if (problems.length > 0) throw invalid(problems);
    const result: ApplyResult = { created: [], updated: [], deleted: [], unchanged: [] };
    for (const input of inputs) {
      const existing = current.get(input.name);
      if (!existing) {
        const id = randomUUID();
        await before?.('create')({ id, name: input.name, destinationType: input.destination.type });
        await this.repository.create({ id, organizationId, ...input, sealedSecrets: this.seal(id, input.secrets) });
        result.created.push(input.name);
        continue;
      }
      const secrets = this.mergedSecrets(existing, input);
      if (this.same(existing, input, secrets)) {
        result.unchanged.push(input.name);
        continue;
      }
      await before?.('update')({ id: existing.id, name: input.name, destinationType: input.destination.type });
      await this.repository.replace({ id: existing.id, organizationId, ...input, sealedSecrets: this.seal(existing.id, secrets) });
      result.updated.push(input.name);
    }
    for (const [name, stream] of current) {
      if (names.has(name)) continue;
      await before?.('delete')(changed(stream));
      await this.repository.delete(organizationId, stream.id);
      result.deleted.push(name);
    }
    return result;
  }

  /** The organization's streams as a `streams apply` file holds them (no secrets, no state but paused). */
  async export(organizationId: string): Promise<Array<Record<string, unknown>>> {
    return (await this.repository.list(organizationId)).map((s) => ({
      name: s.name,
      destination: s.destination,
      ...(Object.keys(s.filter).length > 0 ? { filter: s.filter } : {}),
      format: s.format,
      ...(s.status === 'paused' ? { paused: true } : {}),
    }));
  }

  private async validate(body: unknown, creating: boolean): Promise<StreamInput> {
    const parsed = parseStreamInput(body, creating);
    if (!parsed.ok) throw invalid(parsed.problems);
    try {
      await assertPublicDestination(parsed.input.destination, this.config.allowPrivateNetworks);
    } catch (error) {
      if (error instanceof InternalAddressError) throw invalid([{ path: error.field, reason: error.message }]);
      throw error;
    }
    return parsed.input;
  }

  private mergedSecrets(current: StreamRecord, input: StreamInput): DestinationSecrets {
    const kept = current.destination.type === input.destination.type ? this.secretsOf(current) : {};
    const merged: DestinationSecrets = { ...kept, ...input.secrets };
    const missing = SECRET_FIELDS[input.destination.type].filter((f) => merged[f] === undefined && !(input.destination.type === 's3' && !('accessKeyId' in input.destination)));
    if (missing.length > 0) throw invalid(missing.map((f) => ({ path: `destination.${f}`, reason: 'is required (the stream has none stored for this destination type)' })));
    return merged;
  }

  private same(current: StreamRecord, input: StreamInput, secrets: DestinationSecrets): boolean {
    return (
      JSON.stringify(canonical(current.destination)) === JSON.stringify(canonical(input.destination)) &&
      JSON.stringify(canonical(current.filter)) === JSON.stringify(canonical(input.filter)) &&
      current.format === input.format &&
      (current.status === 'paused') === input.paused &&
      JSON.stringify(canonical(this.secretsOf(current))) === JSON.stringify(canonical(secrets))
    );
  }

  private seal(id: string, secrets: DestinationSecrets): string | null {
    return Object.keys(secrets).length > 0 ? this.box.seal(id, secrets as Record<string, unknown>) : null;
  }
}

/** Object keys sorted at every level, so two equal definitions serialize alike whatever their key order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canonical(v)]));
  return value;
}
