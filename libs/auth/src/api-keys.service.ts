import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { LIMITS } from '@audit/contracts';
import { AppError, LastKnownCache } from '@audit/platform';
import { ApiKeysRepository, type ApiKeyRecord } from '@audit/persistence';
import { AUTH_CONFIG, type AuthConfig } from './config';

/** What an ingest key proves: the one organization it may write for. */
export interface IngestPrincipal {
  keyId: string;
  organizationId: string;
}

export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

/** Defaults of the optional {@link AuthConfig} fields, for configs built by hand (tests, the CLI). */
const DEFAULT_KEY_STALE_MAX_MS = 3_600_000;
const DEFAULT_KEY_LOOKUP_TIMEOUT_MS = 2_000;
const MAX_CACHED_KEYS = 10_000;

/**
 * Creates, verifies, lists and revokes ingest keys. Keys are random; only their hash is stored.
 *
 * Verification is cached so ingest does not hit Postgres per request, and keeps working while Postgres
 * is unreachable: an active key verified within INGEST_STALE_CACHE_MAX is still accepted. "Unknown or
 * revoked" is only ever trusted fresh (AUTH_KEY_CACHE_TTL), never stale, and kept apart so that floods of
 * wrong keys cannot push verified keys out. A key that cannot be decided either way is a 503.
 */
@Injectable()
export class ApiKeysService {
  private readonly verified: LastKnownCache<string, IngestPrincipal | null>;
  private readonly unknown = new Map<string, number>();

  constructor(
    private readonly keys: ApiKeysRepository,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {
    this.verified = new LastKnownCache<string, IngestPrincipal | null>({
      name: 'api_keys',
      ttlMs: config.keyCacheMs,
      maxStaleMs: config.keyStaleMaxMs ?? DEFAULT_KEY_STALE_MAX_MS,
      loadTimeoutMs: config.keyLookupTimeoutMs ?? DEFAULT_KEY_LOOKUP_TIMEOUT_MS,
      retryAfterFailureMs: 1_000,
      maxEntries: MAX_CACHED_KEYS,
      keep: (principal) => principal !== null,
      unavailable: () =>
        new AppError('DATABASE_UNAVAILABLE', 'the API key cannot be verified now (Postgres is unreachable and this key was not verified recently); retry with the same ids'),
    });
  }

  /** Returns the key itself once; it cannot be recovered later. */
  async create(organizationId: string, name = 'default', id: string = randomUUID()): Promise<{ key: string; record: ApiKeyRecord }> {
    if (!LIMITS.organizationIdPattern.test(organizationId)) {
      throw new AppError('VALIDATION_FAILED', `organizationId must match ${LIMITS.organizationIdPattern}`);
    }
    const key = `audk_${randomBytes(32).toString('base64url')}`;
    const record = await this.keys.insert({ id, organizationId, name, keyPrefix: key.slice(0, 12), keyHash: hashKey(key) });
    return { key, record };
  }

  /**
   * The key's principal, or null when it is unknown or revoked.
   * @throws AppError `DATABASE_UNAVAILABLE` when Postgres cannot answer and the key was not verified recently.
   */
  async verify(key: string): Promise<IngestPrincipal | null> {
    const hash = hashKey(key);
    const unknownUntil = this.unknown.get(hash);
    if (unknownUntil !== undefined && unknownUntil > Date.now()) return null;
    const principal = await this.verified.get(hash, async () => {
      const record = await this.keys.findActiveByHash(hash);
      return record ? { keyId: record.id, organizationId: record.organizationId } : null;
    });
    if (principal === null) {
      if (this.unknown.size >= MAX_CACHED_KEYS) this.unknown.clear();
      this.unknown.set(hash, Date.now() + this.config.keyCacheMs);
    } else this.unknown.delete(hash);
    return principal;
  }

  list(organizationId?: string): Promise<ApiKeyRecord[]> {
    return this.keys.list(organizationId);
  }

  findById(id: string): Promise<ApiKeyRecord | null> {
    return this.keys.findById(id);
  }

  async revoke(id: string, organizationId: string): Promise<boolean> {
    const revoked = await this.keys.revoke(id, organizationId);
    this.verified.clear();
    return revoked;
  }
}
