import { decodeJwt } from 'jose';
import type { TokenPrincipal } from './token-claims';

/** A verified token is trusted again for at most this long, even when its `exp` is far away. */
export const TOKEN_CACHE_MAX_MS = 60_000;
/** Entries kept at most; the oldest are dropped first. */
export const TOKEN_CACHE_MAX_ENTRIES = 10_000;

interface Entry {
  principal: TokenPrincipal;
  until: number;
}

/**
 * Principals of bearer tokens already verified, so a console paging through events does not pay a
 * signature check per request. An entry is keyed by the whole token (signature included, so no
 * other string can hit it) and lives until the token's `exp`, capped at {@link TOKEN_CACHE_MAX_MS}:
 * these tokens cannot be revoked one by one, and the cap bounds how long a token keeps passing after
 * its signing key left the JWKS (a fetched key set is itself kept for up to 10 minutes, see OidcKeys). A token
 * without `exp` is held for the cap only. Failed verifications are never cached.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxMs = TOKEN_CACHE_MAX_MS,
    private readonly maxEntries = TOKEN_CACHE_MAX_ENTRIES,
  ) {}

  get(token: string): TokenPrincipal | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    if (entry.until > this.now()) return entry.principal;
    this.entries.delete(token);
    return undefined;
  }

  /** Remembers a token that has just been verified (never call it with an unverified one). */
  remember(token: string, principal: TokenPrincipal): void {
    const now = this.now();
    const exp = decodeJwt(token).exp;
    const until = Math.min(now + this.maxMs, typeof exp === 'number' ? exp * 1000 : Infinity);
    if (until <= now) return;
    this.entries.delete(token);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    this.entries.set(token, { principal, until });
  }

  get size(): number {
    return this.entries.size;
  }
}
