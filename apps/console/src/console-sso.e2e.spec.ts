import type { Browser, Page } from 'playwright-core';
import { freePort, startTestOidcProvider, waitFor, type TestOidcProvider } from '@audit/testing';
import { launchChromium } from './e2e/browser';
import { buildConsole, startConsoleStack, type ConsoleStack } from './e2e/console-stack';

const ORG = 'acme-sso';
/** Short, so the test sees the console renew the ID token (at three quarters of its life) more than once. */
const ID_TOKEN_SECONDS = 16;

/**
 * Single sign-on in Chromium through a real OpenID provider (oidc-provider, its own login and consent
 * pages), silent renewal with the refresh token, the settings pages, and the plain message when the
 * session cannot be renewed.
 */
describe('console single sign-on and settings (Chromium, standalone platform, oidc-provider)', () => {
  let provider: TestOidcProvider;
  let stack: ConsoleStack;
  let browser: Browser;
  let page: Page;
  let base: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    const consoleDir = buildConsole();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    provider = await startTestOidcProvider({
      redirectUris: [`${base}/audit/`],
      accounts: { alice: { org_id: ORG, groups: ['staff', 'audit-admins'], email: 'alice@acme.test' } },
      idTokenTtl: ID_TOKEN_SECONDS,
    });
    stack = await startConsoleStack(consoleDir, {
      PORT: String(port),
      AUTH_OIDC_ISSUER: provider.issuer,
      AUTH_OIDC_CLIENT_ID: provider.clientId,
      AUTH_OIDC_ORG_CLAIM: 'org_id',
      AUTH_OIDC_ROLE_CLAIM: 'groups',
      AUTH_OIDC_ADMIN_VALUES: 'audit-admins',
    });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await provider?.stop();
  }, 60_000);

  const idToken = () => page.evaluate(() => (JSON.parse(sessionStorage.getItem('audit.console.oidc') ?? 'null') as { idToken: string } | null)?.idToken ?? null);
  const recorded = async (setting: string) =>
    stack.db.query<{ metadata: Record<string, unknown>; userId: string | null }>(
      `SELECT metadata, "userId" FROM audit_trail_events WHERE "organizationId" = $1 AND "actionType" = 'UPDATE_ORGANIZATION' AND metadata->>'setting' = $2 ORDER BY "createdAt"`,
      [ORG, setting],
    );

  /** Signs in again after a sign-out (the provider may or may not ask for the login and consent again). */
  const signInAgain = async (): Promise<void> => {
    await page.getByRole('button', { name: `Sign in with ${new URL(provider.issuer).host}` }).click();
    const login = page.locator('input[name="login"]');
    const consent = page.getByRole('button', { name: 'Continue' });
    await waitFor(
      'signed in again',
      async () => {
        if (await idToken().catch(() => null)) return true;
        if (await login.isVisible().catch(() => false)) {
          await login.fill('alice');
          await page.locator('input[name="password"]').fill('any');
          await page.getByRole('button', { name: 'Sign-in' }).click();
        } else if (await consent.isVisible().catch(() => false)) {
          await consent.click();
        }
        return undefined;
      },
      30_000,
      250,
    );
  };

  it('signs in through the identity provider (code + PKCE) and comes back to the view it started from', async () => {
    await page.goto(`${base}/audit/settings`);
    await page.getByRole('button', { name: `Sign in with ${new URL(provider.issuer).host}` }).click();
    await page.locator('input[name="login"]').fill('alice');
    await page.locator('input[name="password"]').fill('any');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Ingest keys' }).waitFor({ timeout: 20_000 });
    // Back where the administrator started, with no code or state left in the address.
    expect(new URL(page.url()).pathname).toBe('/audit/settings');
    expect(new URL(page.url()).search).toBe('');
    expect(await idToken()).toEqual(expect.any(String));
    expect(await page.evaluate(() => sessionStorage.getItem('audit.console.token'))).toBeNull();
    // The header reads the token by the configured claims (org_id, groups), as the API admits it.
    expect(await page.locator('.org-badge').innerText()).toBe(ORG);
    expect(await page.locator('.whoami .role').textContent()).toBe('admin');
  }, 60_000);

  it('renews the ID token silently before it expires: the console keeps working past the first token’s expiry', async () => {
    const first = await idToken();
    const firstExp = JSON.parse(Buffer.from((first as string).split('.')[1], 'base64url').toString()) as { exp: number };
    await waitFor('a renewed ID token', async () => (await idToken()) !== first, ID_TOKEN_SECONDS * 1000 + 5_000, 250);
    // Past the first token's expiry, the settings still load with the renewed one; no sign-in page.
    await waitFor('the first token to expire', async () => Date.now() / 1000 > firstExp.exp + 1, ID_TOKEN_SECONDS * 1000 + 5_000, 500);
    await page.getByRole('link', { name: 'Events' }).click();
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Retention' }).waitFor();
    await expect(page.getByLabel('Queries with hidden parameters').innerText()).resolves.toContain('None');
    expect(await page.getByText('sign in again').count()).toBe(0);
  }, 90_000);

  it('creates an ingest key shown once, revokes it, hides a query’s parameters and sets retention: each change recorded as the administrator', async () => {
    await page.getByLabel("New key's name").fill('batch jobs');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-key').innerText()).trim();
    expect(key).toMatch(/^audk_[A-Za-z0-9_-]{43}$/);
    const table = page.getByRole('table', { name: 'Ingest keys' });
    await table.getByText('batch jobs').waitFor();
    expect(await table.innerText()).not.toContain(key);
    // The key works for ingest until revoked.
    const post = () =>
      fetch(`${base}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ organizationId: ORG, actionType: 'LOGIN', userId: 'u1' }) });
    expect((await post()).status).toBe(202);
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Revoke batch jobs' }).click();
    await table.getByText(/revoked/).waitFor();
    await waitFor('ingest to refuse the revoked key', async () => (await post()).status === 401, 60_000, 1_000);

    await page.getByLabel('Query name').fill('getSalary');
    await page.getByRole('button', { name: 'Hide its parameters' }).click();
    await page.getByLabel('Queries with hidden parameters').getByText('getSalary').waitFor();

    await page.getByLabel(/Keep events for/).fill('abc');
    await page.getByRole('button', { name: 'Save retention' }).click();
    await expect(page.getByRole('alert').first().innerText()).resolves.toContain('days');
    await page.getByLabel(/Keep events for/).fill('90');
    await page.getByRole('button', { name: 'Save retention' }).click();
    await page.getByText('Events are kept 90 days').waitFor();

    await waitFor('the changes in Postgres', async () => (await recorded('ingestKeys')).length === 2 && (await recorded('hiddenParameters')).length === 1 && (await recorded('retention')).length === 1, 30_000, 250);
    const keys = await recorded('ingestKeys');
    expect(keys.map((k) => [k.userId, k.metadata.change, k.metadata.via])).toEqual([
      ['alice', 'create', 'api'],
      ['alice', 'revoke', 'api'],
    ]);
    expect((await recorded('hiddenParameters'))[0].metadata).toMatchObject({ added: ['getSalary'], removed: [] });
  }, 120_000);

  it('signing out revokes the refresh token at the provider: a copy of it renews nothing afterwards', async () => {
    const { token_endpoint, revocation_endpoint } = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as {
      token_endpoint: string;
      revocation_endpoint: string;
    };
    // Right after a renewal, so none is in flight that would spend the refresh token itself.
    const before = await idToken();
    await waitFor('a renewed ID token', async () => (await idToken()) !== before, ID_TOKEN_SECONDS * 1000 + 5_000, 100);
    const revoked = page.waitForResponse((res) => res.url() === revocation_endpoint, { timeout: 10_000 });
    const refreshToken = await page.evaluate(() => {
      const token = (JSON.parse(sessionStorage.getItem('audit.console.oidc') ?? 'null') as { refreshToken: string | null } | null)?.refreshToken ?? null;
      [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Sign out')?.click();
      return token;
    });
    expect(refreshToken).toEqual(expect.any(String));
    expect((await revoked).status()).toBe(200);
    await page.getByText('You signed out.').waitFor();
    expect(await idToken()).toBeNull();
    // One attempt only: with rotation, a second use of a spent token is refused whether or not it was revoked.
    const res = await fetch(token_endpoint, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken as string, client_id: provider.clientId }),
    });
    expect({ status: res.status, body: (await res.json()) as unknown }).toEqual({ status: 400, body: expect.objectContaining({ error: 'invalid_grant' }) });

    await signInAgain();
  }, 90_000);

  it('a renewal the provider answers after sign-out does not sign the tab back in, and its new refresh token is revoked too', async () => {
    const { token_endpoint, revocation_endpoint } = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as {
      token_endpoint: string;
      revocation_endpoint: string;
    };
    // The provider answers the next renewal (rotating the refresh token) at once, but the answer reaches
    // the page only after the administrator has signed out.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const isRenewal = (body: string | null) => (body ?? '').includes('grant_type=refresh_token');
    await page.route(token_endpoint, async (route) => {
      if (!isRenewal(route.request().postData())) return route.continue();
      const response = await route.fetch();
      await held;
      await route.fulfill({ response });
    });
    try {
      await page.waitForRequest((req) => req.url() === token_endpoint && isRenewal(req.postData()), { timeout: ID_TOKEN_SECONDS * 1000 + 5_000 });
      const signOutRevocation = page.waitForResponse((res) => res.url() === revocation_endpoint);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await signOutRevocation;
      const renewalRevocation = page.waitForResponse((res) => res.url() === revocation_endpoint, { timeout: 10_000 });
      release();
      expect((await renewalRevocation).status()).toBe(200);
      // The late renewal wrote nothing back (before, it did, and a reload opened the console signed in).
      expect(await idToken()).toBeNull();
      await page.reload();
      expect(await idToken()).toBeNull();
      await page.getByRole('button', { name: `Sign in with ${new URL(provider.issuer).host}` }).waitFor();
    } finally {
      release();
      await page.unroute(token_endpoint);
    }
    await signInAgain();
  }, 90_000);

  it('says "Your session ended, sign in again." when the token cannot be renewed, never a JWT error', async () => {
    await provider.stop();
    await page.getByText('Your session ended, sign in again.').waitFor({ timeout: ID_TOKEN_SECONDS * 1000 + 10_000 });
    const text = await page.locator('body').innerText();
    expect(text).not.toMatch(/jwt|jws|exp claim|signature/i);
    expect(await idToken()).toBeNull();
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
