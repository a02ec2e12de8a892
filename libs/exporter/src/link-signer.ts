import { createHmac, timingSafeEqual } from 'node:crypto';

export type LinkCheck = 'valid' | 'expired' | 'tampered';

/**
 * Signs and checks download links: `signature` = hex HMAC-SHA256 of `<job id>.<expires>` under a key derived
 * from the configured secret (so the link key never equals the token key even when they share a secret).
 * The signature is the link's only credential, so it is compared in constant time, and checked before the
 * expiry so an attacker cannot learn anything from a forged link but "forbidden".
 */
export class LinkSigner {
  private readonly key: Buffer;

  constructor(secret: Uint8Array) {
    this.key = createHmac('sha256', Buffer.from(secret)).update('audit-trail export download links v1').digest();
  }

  sign(jobId: string, expiresUnix: number): string {
    return createHmac('sha256', this.key).update(`${jobId}.${expiresUnix}`).digest('hex');
  }

  /** The download path with its signed query: `/v1/exports/<id>/download?expires=<unix>&signature=<hex>`. */
  url(jobId: string, expiresUnix: number): string {
    return `/v1/exports/${jobId}/download?expires=${expiresUnix}&signature=${this.sign(jobId, expiresUnix)}`;
  }

  check(jobId: string, expires: unknown, signature: unknown, nowMs = Date.now()): LinkCheck {
    if (typeof expires !== 'string' || !/^\d{1,12}$/.test(expires)) return 'tampered';
    if (typeof signature !== 'string' || !/^[0-9a-f]{64}$/.test(signature)) return 'tampered';
    const expected = Buffer.from(this.sign(jobId, Number(expires)), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return 'tampered';
    return Number(expires) * 1000 <= nowMs ? 'expired' : 'valid';
  }
}
