import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ConfigError } from '@audit/platform';

/**
 * Encrypts the destinations' secrets at rest with AES-256-GCM: `v1.<iv>.<tag>.<ciphertext>` (base64url).
 * The authenticated tag means a row edited or moved by hand fails to open instead of yielding garbage; the
 * stream id is bound as associated data, so one stream's secrets cannot be copied onto another.
 */
export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
  }

  seal(streamId: string, secrets: Record<string, unknown>): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(streamId));
    const data = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), data].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  open(streamId: string, sealed: string): Record<string, unknown> {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('stored stream secrets are not in a known form');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(streamId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as Record<string, unknown>;
  }
}

/**
 * The key: STREAMS_SECRET_KEY, else one derived from the HS256 token secret (AUTH_JWT_SECRET, or the one
 * generated on embedded defaults). A deployment verifying tokens against a JWKS has no such secret and must
 * set STREAMS_SECRET_KEY; the service refuses to start rather than guess.
 */
export function secretKeyOf(own: Buffer | undefined, jwtSecret: Uint8Array | undefined): Buffer {
  if (own) return own;
  if (jwtSecret) return createHash('sha256').update('audit-streams-secrets:').update(jwtSecret).digest();
  throw new ConfigError(['STREAMS_SECRET_KEY is required when admin tokens are verified against AUTH_JWKS_URL (there is no AUTH_JWT_SECRET to derive it from)']);
}
