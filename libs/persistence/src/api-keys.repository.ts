import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { Database } from './database';
import { ApiKeyEntity } from './entities';

export interface ApiKeyRecord {
  id: string;
  organizationId: string;
  name: string;
  keyPrefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

const toRecord = (e: ApiKeyEntity): ApiKeyRecord => ({
  id: e.id,
  organizationId: e.organizationId,
  name: e.name,
  keyPrefix: e.keyPrefix,
  createdAt: e.createdAt,
  revokedAt: e.revokedAt,
});

/** Ingest keys, stored by hash. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly db: Database) {}

  private get repo() {
    return this.db.repository(ApiKeyEntity);
  }

  async insert(key: { id: string; organizationId: string; name: string; keyPrefix: string; keyHash: string }): Promise<ApiKeyRecord> {
    const saved = await this.repo.save(this.repo.create({ ...key, revokedAt: null }));
    return toRecord(saved);
  }

  /** The active key with this hash, if any. */
  async findActiveByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const found = await this.repo.findOne({ where: { keyHash, revokedAt: IsNull() } });
    return found ? toRecord(found) : null;
  }

  async list(organizationId?: string): Promise<ApiKeyRecord[]> {
    const rows = await this.repo.find({ where: organizationId ? { organizationId } : {}, order: { createdAt: 'ASC' } });
    return rows.map(toRecord);
  }

  /** The key with this id, active or revoked, of any organization (callers check whose it is). */
  async findById(id: string): Promise<ApiKeyRecord | null> {
    const found = await this.repo.findOne({ where: { id } });
    return found ? toRecord(found) : null;
  }

  /** Revokes a key of that organization; returns false when it has no active key with that id. */
  async revoke(id: string, organizationId: string): Promise<boolean> {
    const result = await this.repo.update({ id, organizationId, revokedAt: IsNull() }, { revokedAt: new Date() });
    return (result.affected ?? 0) > 0;
  }
}
