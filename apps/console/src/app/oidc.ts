import * as oauth from 'oauth4webapi';
import type { OidcClaimMapping } from '@audit/contracts';

/** How the server says the console signs in (`GET /v1/console/config`). */
export interface SignInConfig {
  issuer: string;
  clientId: string;
  scopes: string;
  /** Which claims of the provider's tokens name the organization and role (as the API maps them). */
  claims: OidcClaimMapping;
}

/** Tokens of an identity-provider session, kept in sessionStorage like a pasted token (this tab only). */
export interface OidcSession {
  idToken: string;
  refreshToken: string | null;
  /** When the ID token expires, in ms since the epoch. */
  expiresAt: number;
}

const SESSION_KEY = 'audit.console.oidc';
const PENDING_KEY = 'audit.console.oidc.pending';
const BASE = import.meta.env.BASE_URL.replace(/\/$/, '');

/** The one message when a session cannot go on: never a token library's or a JWT error's wording. */
export const SESSION_ENDED = 'Your session ended, sign in again.';

/** Where the provider sends the browser back: the console's root, the same for every view. */
export const redirectUri = (): string => `${window.location.origin}${BASE}/`;

const client = (config: SignInConfig): oauth.Client => ({ client_id: config.clientId });

/** Plain HTTP to the provider is allowed only on this machine (a provider run for development or tests). */
function options(config: SignInConfig): { [oauth.allowInsecureRequests]?: boolean } {
  const host = new URL(config.issuer).hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' ? { [oauth.allowInsecureRequests]: true } : {};
}

async function discover(config: SignInConfig): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(config.issuer);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, options(config)));
}

export function loadOidcSession(): OidcSession | null {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    return raw ? (JSON.parse(raw) as OidcSession) : null;
  } catch {
    return null;
  }
}

/**
 * Counts the times this tab's session was cleared, so that a renewal the provider answers after a sign-out
 * does not write the session back (a reload would then find the tab signed in again).
 */
let cleared = 0;

export function clearOidcSession(): void {
  cleared++;
  sessionStorage.removeItem(SESSION_KEY);
}

function keep(result: oauth.TokenEndpointResponse, previousRefresh: string | null): OidcSession {
  if (!result.id_token) throw new Error('no ID token');
  const claims = JSON.parse(atob(result.id_token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: number };
  const session: OidcSession = {
    idToken: result.id_token,
    // A provider that rotates refresh tokens sends a new one each time; one that does not keeps the old.
    refreshToken: result.refresh_token ?? previousRefresh,
    expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : Date.now() + (result.expires_in ?? 300) * 1000,
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  return session;
}

/** Sends the browser to the provider (authorization code with PKCE); it comes back to {@link redirectUri}. */
export async function startSignIn(config: SignInConfig): Promise<void> {
  const as = await discover(config);
  if (!as.authorization_endpoint) throw new Error('the identity provider has no authorization endpoint');
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  // Where to go back to after sign-in: the view the administrator was on.
  const returnTo = window.location.pathname + window.location.search;
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, nonce, returnTo }));
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', redirectUri());
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', config.scopes);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  url.searchParams.set('nonce', nonce);
  window.location.assign(url.href);
}

/** Whether this page load is the provider sending the browser back. */
export function isSignInCallback(): boolean {
  const params = new URLSearchParams(window.location.search);
  return sessionStorage.getItem(PENDING_KEY) !== null && (params.has('code') || params.has('error')) && params.has('state');
}

let completion: Promise<OidcSession> | undefined;

/**
 * Finishes the sign-in the provider sent the browser back from: checks the state, exchanges the code
 * (with the PKCE verifier) for tokens, and restores the address the administrator started from. Once
 * per page load, however often it is called (an effect run twice must not spend the code twice).
 */
export function completeSignIn(config: SignInConfig): Promise<OidcSession> {
  completion ??= exchangeCode(config);
  return completion;
}

async function exchangeCode(config: SignInConfig): Promise<OidcSession> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? '{}') as { verifier?: string; state?: string; nonce?: string; returnTo?: string };
  sessionStorage.removeItem(PENDING_KEY);
  const current = new URL(window.location.href);
  window.history.replaceState(null, '', pending.returnTo && pending.returnTo.startsWith(BASE) ? pending.returnTo : `${BASE}/`);
  if (!pending.verifier || !pending.state) throw new Error('no sign-in was started in this tab');
  const as = await discover(config);
  const params = oauth.validateAuthResponse(as, client(config), current, pending.state);
  const response = await oauth.authorizationCodeGrantRequest(as, client(config), oauth.None(), params, redirectUri(), pending.verifier, options(config));
  return keep(await oauth.processAuthorizationCodeResponse(as, client(config), response, { expectedNonce: pending.nonce, requireIdToken: true }), null);
}

/**
 * A new ID token from the refresh token, without leaving the page; throws when the provider says no.
 * Null when the tab signed out while the provider was answering: nothing is kept, and the refresh token
 * the provider rotated to is revoked as the sign-out revoked the one it knew.
 */
export async function renew(config: SignInConfig, session: OidcSession): Promise<OidcSession | null> {
  if (!session.refreshToken) throw new Error('no refresh token');
  const generation = cleared;
  const as = await discover(config);
  const response = await oauth.refreshTokenGrantRequest(as, client(config), oauth.None(), session.refreshToken, options(config));
  const result = await oauth.processRefreshTokenResponse(as, client(config), response);
  if (cleared !== generation) {
    if (result.refresh_token) await revokeSession(config, { ...session, refreshToken: result.refresh_token }).catch(() => false);
    return null;
  }
  return keep(result, session.refreshToken);
}

/**
 * Revokes the session's refresh token at the provider (RFC 7009) when it offers revocation: signing out
 * must end the session, and a refresh token copied from this tab (or left in a crash-restored one) would
 * otherwise go on minting ID tokens the API admits, for as long as the provider lets it live. The ID
 * token itself cannot be recalled; it lapses at its `exp`. Returns whether the provider confirmed.
 */
export async function revokeSession(config: SignInConfig, session: OidcSession): Promise<boolean> {
  if (!session.refreshToken) return true;
  const as = await discover(config);
  if (!as.revocation_endpoint) return false;
  const response = await oauth.revocationRequest(as, client(config), oauth.None(), session.refreshToken, {
    ...options(config),
    additionalParameters: { token_type_hint: 'refresh_token' },
  });
  await oauth.processRevocationResponse(response);
  return true;
}

/** When to renew: a minute before expiry, or at three quarters of a lifetime under two minutes. */
export function renewalDelayMs(session: OidcSession, now = Date.now()): number {
  const left = session.expiresAt - now;
  return Math.max(0, left > 120_000 ? left - 60_000 : left * 0.75);
}
