import { ConfigError } from '@audit/platform';
import type { AuthConfig } from '@audit/auth';
import type { ExporterConfig } from './config';

/**
 * The secret download links are signed with: `EXPORT_LINK_SECRET`, else the HS256 token secret
 * (`AUTH_JWT_SECRET`, or the one generated into `AUTH_SECRET_FILE` on embedded defaults). A deployment that
 * verifies tokens against a JWKS has no shared secret, so it must set `EXPORT_LINK_SECRET`: without one the
 * service refuses to start rather than sign links with something guessable.
 */
export function linkSecret(auth: Pick<AuthConfig, 'jwtSecret'>, config: Pick<ExporterConfig, 'linkSecret'>): Uint8Array {
  if (config.linkSecret) return config.linkSecret;
  if (auth.jwtSecret) return auth.jwtSecret;
  throw new ConfigError(['EXPORT_LINK_SECRET is required when admin tokens are verified against AUTH_JWKS_URL (there is no AUTH_JWT_SECRET to fall back to)']);
}
