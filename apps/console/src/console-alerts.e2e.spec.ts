import { createHmac } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { TestReceiver, waitFor } from '@audit/testing';
import { launchChromium } from './e2e/browser';
import { buildConsole, credentials, postEvents, startConsoleStack, type ConsoleStack } from './e2e/console-stack';

const ORG = 'acme-alerts';
const SECRET = 'console-alert-secret-0123456789';

/**
 * Settings › Alerts in headless Chromium against the standalone platform: from a search in the address,
 * save it, create an alert, see a bad field named, edit, disable and enable it, see its firing (evaluated by the
 * standalone's own scheduler) with its delivery state, and delete it.
 */
describe('console alerts section (Chromium, standalone platform)', () => {
  let stack: ConsoleStack;
  let browser: Browser;
  let page: Page;
  const receiver = new TestReceiver();
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await receiver.start();
    browser = await launchChromium();
    const consoleDir = buildConsole();
    // Evaluated one second into each minute; the receiver is on loopback.
    stack = await startConsoleStack(consoleDir, { ALERTS_EVALUATION_DELAY: '1s', STREAMS_ALLOW_PRIVATE_NETWORKS: 'true', PROJECTOR_FLUSH_INTERVAL: '50ms', WRITER_FLUSH_INTERVAL: '50ms' });
    const creds = await credentials(stack.env, ORG, 'admin-alerts');
    const ids = await postEvents(
      stack.service.url,
      creds.key,
      [3, 4, 5].map((m) => ({ organizationId: ORG, actionType: 'PAGE_EXPORT', userId: 'u-ada', createdAt: new Date(Date.now() - m * 60_000).toISOString() })),
    );
    await waitFor('the events in Postgres', async () => (await stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_trail_events WHERE id = ANY($1::uuid[])', [ids]))[0].n === ids.length, 30_000, 200);
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${stack.service.url}/audit/?search=${encodeURIComponent('action:PAGE_EXPORT')}`);
    await page.getByLabel('Admin token').fill(creds.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('table.events-table tbody tr').first().waitFor({ timeout: 20_000 });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await receiver.stop();
  }, 60_000);

  const alertRows = () => page.getByRole('table', { name: 'Alerts' }).locator('tbody tr');

  it('saves the current search, creates an alert on it, names a bad field, edits, disables, enables, shows its firing, deletes it', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL((url) => url.pathname.endsWith('/settings') && url.searchParams.get('search') === 'action:PAGE_EXPORT');
    const save = page.getByRole('form', { name: 'Save this search' });
    await save.getByRole('textbox').fill('exports');
    await save.getByRole('button', { name: 'Save search' }).click();
    await page.getByRole('table', { name: 'Saved searches' }).getByRole('link', { name: 'exports' }).waitFor();
    await page.getByRole('button', { name: 'New alert on this search' }).click();
    const form = page.getByRole('form', { name: 'New alert' });
    expect(await form.getByLabel('Search (the query language of the search box)').inputValue()).toBe('action:PAGE_EXPORT');
    await form.getByLabel('Name').fill('exports');
    await form.getByLabel('At least (events)').fill('2');
    await form.getByLabel('Webhook URL').fill(receiver.url('/alerts'));
    await form.getByLabel(/Signing secret/).fill('short');
    await form.getByRole('button', { name: 'Create alert' }).click();
    await form.getByRole('alert').filter({ hasText: 'webhook.secret' }).waitFor();
    await form.getByLabel(/Signing secret/).fill(SECRET);
    await form.getByRole('button', { name: 'Create alert' }).click();
    await alertRows().filter({ hasText: 'exports' }).waitFor();
    expect(await alertRows().allInnerTexts()).toEqual([expect.stringMatching(/exports\s+action:PAGE_EXPORT\s+≥ 2 in 60 min\s+enabled/)]);

    await alertRows().getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit alert exports' });
    await edit.getByLabel('At least (events)').fill('3');
    await edit.getByRole('button', { name: 'Save alert' }).click();
    await alertRows().filter({ hasText: '≥ 3 in 60 min' }).waitFor();
    await alertRows().getByRole('button', { name: 'Disable' }).click();
    await alertRows().filter({ hasText: 'disabled' }).waitFor();
    await alertRows().getByRole('button', { name: 'Enable' }).click();
    await alertRows().filter({ hasText: 'enabled' }).waitFor();

    // The standalone's scheduler evaluates the next minute that ends: the three exports fire it, once.
    const request = await waitFor('the firing at the webhook', async () => receiver.on('/alerts')[0], 150_000, 500);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request.headers['x-audit-signature'])) ?? [];
    expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${request.rawBody.toString('utf8')}`).digest('hex'));
    await waitFor(
      'the firing in the console',
      async () => {
        await page.reload();
        const rows = await page.getByRole('table', { name: 'Recent firings' }).locator('tbody tr').allInnerTexts();
        return rows.some((r) => r.includes('exports') && r.includes('all: 3') && r.includes('delivered')) ? rows : undefined;
      },
      30_000,
      1_000,
    );

    page.once('dialog', (dialog) => void dialog.accept());
    await alertRows().getByRole('button', { name: 'Delete' }).click();
    await alertRows().filter({ hasText: 'No alerts yet.' }).waitFor();
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
