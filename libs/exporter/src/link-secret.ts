import { ConfigError } from '@audit/platform';
import type { AuthConfig } from '@audit/auth';

/**
 * The secret download links are signed with: `EXPORT_LINK_SECRET`, else the HS256 token secret
 * (`AUTH_JWT_SECRET`, or the one generated into `AUTH_SECRET_FILE` on embedded defaults). A deployment that
 * verifies tokens against a JWKS has no shared secret, so it must set `EXPORT_LINK_SECRET`: without one the
 * service refuses to start rather than sign links with something guessable.
 */
export function linkSecret(auth: Pick<AuthConfig, 'jwtSecret'>, source: Record<string, string | undefined> = process.env): Uint8Array {
  const own = source.EXPORT_LINK_SECRET?.trim();
  if (own) {
    if (own.length < 32) throw new ConfigError(['EXPORT_LINK_SECRET must be at least 32 characters']);
    return new TextEncoder().encode(own);
  }
  if (auth.jwtSecret) return auth.jwtSecret;
  throw new ConfigError(['EXPORT_LINK_SECRET is required when admin tokens are verified against AUTH_JWKS_URL (there is no AUTH_JWT_SECRET to fall back to)']);
}
