import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { AppError } from '@audit/platform';

/** Signature algorithms accepted from an identity provider: asymmetric only (a shared secret would be a password). */
export const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** The whole of one fetch (connect, headers and body): a provider that answers slowly fails rather than holding every sign-in. */
const FETCH_TIMEOUT_MS = 5_000;
/** The most a discovery document or key set may hold; real ones are a few kilobytes. */
export const MAX_PROVIDER_DOCUMENT_BYTES = 1 << 20;
/** A key set older than this is fetched again on use (jose's remote key sets keep theirs as long). */
const KEYS_MAX_AGE_MS = 600_000;
/** A token naming a key the set lacks fetches the set again, at most this often (as jose's remote sets). */
const KEYS_COOLDOWN_MS = 30_000;

interface KeySet {
  getKey: JWTVerifyGetKey;
  fetchedAt: number;
}

const unavailable = (message: string): AppError => new AppError('IDENTITY_PROVIDER_UNAVAILABLE', `${message}; retry shortly`);

/** Why a fetch failed, in a few words: the network error's code rather than undici's "fetch failed". */
function reasonOf(error: unknown): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no whole answer within ${FETCH_TIMEOUT_MS / 1000}s`;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return (error as Error).message;
}

/**
 * The identity provider's signing keys, found through its discovery document (`jwks_uri`) on first use,
 * kept for {@link KEYS_MAX_AGE_MS} and fetched again sooner when a token names a key the set lacks. Both
 * documents are read here rather than by jose's remote key set, whose fetch has no deadline for the body
 * (a provider that sends headers and then stalls held every request waiting on it), no size limit, and
 * whose network errors surfaced as "invalid token" (401) carrying the socket error. Every failure to read
 * them is IDENTITY_PROVIDER_UNAVAILABLE (503) and is not remembered, so the next request tries again.
 * Redirects are not followed: the documents are where the issuer says they are.
 */
export class OidcKeys {
  private jwksUri?: Promise<URL>;
  private current?: KeySet;
  private loading?: Promise<KeySet>;

  /** `issuer`: the provider whose discovery document names the key set. */
  constructor(
    private readonly issuer: string,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly now: () => number = Date.now,
  ) {}

  /** The key set at a known address (AUTH_JWKS_URL), read and kept the same way, without discovery. */
  static at(jwksUri: string, fetchImpl: typeof fetch = fetch, now: () => number = Date.now): OidcKeys {
    const keys = new OidcKeys('', fetchImpl, now);
    keys.jwksUri = Promise.resolve(new URL(jwksUri));
    return keys;
  }

  async get(): Promise<JWTVerifyGetKey> {
    const set = await this.keySet(false);
    return async (header, token) => {
      try {
        return await set.getKey(header, token);
      } catch (error) {
        if (!(error instanceof joseErrors.JWKSNoMatchingKey) || this.now() - set.fetchedAt < KEYS_COOLDOWN_MS) throw error;
        return (await this.keySet(true)).getKey(header, token);
      }
    };
  }

  private keySet(refresh: boolean): Promise<KeySet> {
    const current = this.current;
    if (!refresh && current && this.now() - current.fetchedAt < KEYS_MAX_AGE_MS) return Promise.resolve(current);
    // Concurrent requests share one fetch.
    this.loading ??= this.load()
      .then((set) => (this.current = set))
      .finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<KeySet> {
    const uri = await this.discover();
    const document = await this.read(uri, 'signing keys');
    try {
      return { getKey: createLocalJWKSet(document as JSONWebKeySet), fetchedAt: this.now() };
    } catch {
      throw unavailable(`the identity provider's signing keys at ${uri.href} are not a JSON Web Key Set`);
    }
  }

  private discover(): Promise<URL> {
    this.jwksUri ??= this.readJwksUri().catch((error: unknown) => {
      this.jwksUri = undefined;
      throw error;
    });
    return this.jwksUri;
  }

  private async readJwksUri(): Promise<URL> {
    const url = `${this.issuer}${this.issuer.endsWith('/') ? '' : '/'}.well-known/openid-configuration`;
    const document = (await this.read(url, 'discovery document')) as { issuer?: unknown; jwks_uri?: unknown } | null;
    // OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was fetched for.
    if (document?.issuer !== this.issuer) {
      throw unavailable(`the discovery document at ${url} names issuer ${JSON.stringify(document?.issuer)}, not AUTH_OIDC_ISSUER ${this.issuer}`);
    }
    if (typeof document.jwks_uri !== 'string' || !URL.canParse(document.jwks_uri)) throw unavailable(`the discovery document at ${url} has no jwks_uri URL`);
    const jwksUri = new URL(document.jwks_uri);
    if (jwksUri.protocol !== 'https:' && jwksUri.protocol !== 'http:') throw unavailable(`the discovery document at ${url} names a jwks_uri that is not http(s)`);
    return jwksUri;
  }

  /** The JSON at `url`, read whole within {@link FETCH_TIMEOUT_MS} and {@link MAX_PROVIDER_DOCUMENT_BYTES}. */
  private async read(url: string | URL, what: string): Promise<unknown> {
    const href = String(url);
    const signal = AbortSignal.timeout(FETCH_TIMEOUT_MS);
    let text: string;
    try {
      const res = await this.fetchImpl(href, { signal, redirect: 'manual', headers: { accept: 'application/json' } });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(res.status >= 300 && res.status < 400 ? `HTTP ${res.status}: redirects are not followed` : `HTTP ${res.status}`);
      }
      text = await readBounded(res, MAX_PROVIDER_DOCUMENT_BYTES);
    } catch (error) {
      throw unavailable(`the identity provider's ${what} at ${href} could not be read (${reasonOf(error)})`);
    }
    try {
      return JSON.parse(text);
    } catch {
      throw unavailable(`the identity provider's ${what} at ${href} is not JSON`);
    }
  }
}

/** The body as text, refusing (and no longer reading) one longer than `max` bytes. */
async function readBounded(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (declared > max) {
    await res.body?.cancel();
    throw new Error(`larger than ${max} bytes`);
  }
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new Error(`larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
