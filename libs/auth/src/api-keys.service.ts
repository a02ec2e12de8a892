import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { LIMITS } from '@audit/contracts';
import { AppError } from '@audit/platform';
import { ApiKeysRepository, type ApiKeyRecord } from '@audit/persistence';
import { AUTH_CONFIG, type AuthConfig } from './config';

/** What an ingest key proves: the one organization it may write for. */
export interface IngestPrincipal {
  keyId: string;
  organizationId: string;
}

export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Creates, verifies, lists and revokes ingest keys. Keys are random; only their hash is stored. */
@Injectable()
export class ApiKeysService {
  private readonly cache = new Map<string, { principal: IngestPrincipal | null; until: number }>();

  constructor(
    private readonly keys: ApiKeysRepository,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  /** Returns the key itself once; it cannot be recovered later. */
  async create(organizationId: string, name = 'default'): Promise<{ key: string; record: ApiKeyRecord }> {
    if (!LIMITS.organizationIdPattern.test(organizationId)) {
      throw new AppError('VALIDATION_FAILED', `organizationId must match ${LIMITS.organizationIdPattern}`);
    }
    const key = `audk_${randomBytes(32).toString('base64url')}`;
    const record = await this.keys.insert({ id: randomUUID(), organizationId, name, keyPrefix: key.slice(0, 12), keyHash: hashKey(key) });
    return { key, record };
  }

  /** The key's principal, or null. Results are cached briefly so ingest does not hit Postgres per request. */
  async verify(key: string): Promise<IngestPrincipal | null> {
    const hash = hashKey(key);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) return cached.principal;
    const record = await this.keys.findActiveByHash(hash);
    const principal = record ? { keyId: record.id, organizationId: record.organizationId } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { principal, until: now + this.config.keyCacheMs });
    return principal;
  }

  list(organizationId?: string): Promise<ApiKeyRecord[]> {
    return this.keys.list(organizationId);
  }

  async revoke(id: string): Promise<boolean> {
    const revoked = await this.keys.revoke(id);
    this.cache.clear();
    return revoked;
  }
}
