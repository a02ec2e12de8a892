import { createHash, randomBytes } from 'node:crypto';
import type { TestOidcProvider } from './test-oidc-provider';

export interface OidcTokens {
  id_token: string;
  access_token: string;
  refresh_token?: string;
  expires_in: number;
}

/**
 * Signs `login` in at a test provider as a browser would (authorization code with PKCE through the
 * provider's own login and consent pages, cookies kept between steps) and exchanges the code for tokens.
 * With `resource` (RFC 8707), the access token is a JWT for that resource (its audience).
 */
export async function signInAtTestProvider(provider: TestOidcProvider, login: string, redirectUri: string, scope = 'openid profile email', resource?: string): Promise<OidcTokens> {
  const cookies = new Map<string, string>();
  const remember = (res: Response): void => {
    for (const header of res.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
  };
  const cookieHeader = (): string => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  const go = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: cookieHeader() } });
    remember(res);
    return res;
  };
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const auth = new URL(`${provider.issuer}/auth`);
  for (const [k, v] of Object.entries({ client_id: provider.clientId, response_type: 'code', scope, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: 'S256', state: 's' })) {
    auth.searchParams.set(k, v);
  }
  if (resource) auth.searchParams.set('resource', resource);
  let res = await go(auth.href);
  for (let step = 0; step < 10; step++) {
    const location = res.headers.get('location');
    if (!location) throw new Error(`the provider answered ${res.status} without a redirect: ${await res.text()}`);
    const next = new URL(location, provider.issuer);
    if (next.href.startsWith(redirectUri)) {
      const code = next.searchParams.get('code');
      if (!code) throw new Error(`no code in ${next.href}`);
      const token = await fetch(`${provider.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: provider.clientId, code_verifier: verifier, ...(resource ? { resource } : {}) }),
      });
      if (!token.ok) throw new Error(`token exchange answered ${token.status}: ${await token.text()}`);
      return (await token.json()) as OidcTokens;
    }
    if (/\/interaction\/[^/]+$/.test(next.pathname)) {
      const page = await (await go(next.href)).text();
      const body = page.includes('name="login"') ? new URLSearchParams({ prompt: 'login', login, password: 'any' }) : new URLSearchParams({ prompt: 'consent' });
      const action = new URL(/action="([^"]+)"/.exec(page)?.[1] ?? next.pathname, provider.issuer).href;
      res = await go(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    } else res = await go(next.href);
  }
  throw new Error('sign-in did not reach the redirect URI in 10 steps');
}
