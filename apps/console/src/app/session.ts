import { mappedOrgAndRole, type OidcClaimMapping } from '@audit/contracts';

/**
 * The admin token lives in sessionStorage only: it survives a reload of this tab, ends with the tab, and
 * is never written to a URL, a cookie or a log.
 */
const KEY = 'audit.console.token';

export function loadToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}

/** What the console shows about a token. Read without verifying: the server checks every request. */
export interface TokenClaims {
  organizationId: string | null;
  role: string | null;
  subject: string | null;
  expiresAt: Date | null;
}

function decodeBase64Url(part: string): string {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
  const binary = atob(base64);
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/**
 * The claims of a JWT, or null when the text is not shaped like one (a pasted key, a truncated copy). An
 * identity provider's token is read by the server's claim mapping (`mapping`), as the API admits it; a
 * token the platform minted carries `org` and `role` itself.
 */
export function readClaims(token: string, mapping?: OidcClaimMapping): TokenClaims | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const payload = JSON.parse(decodeBase64Url(parts[1])) as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === 'string' ? v : null);
    const mapped = mapping ? mappedOrgAndRole(payload, mapping) : { organizationId: text(payload['org']), role: text(payload['role']) };
    return {
      organizationId: mapped.organizationId,
      role: mapped.role,
      subject: text(payload['sub']),
      expiresAt: typeof payload['exp'] === 'number' ? new Date(payload['exp'] * 1000) : null,
    };
  } catch {
    return null;
  }
}
