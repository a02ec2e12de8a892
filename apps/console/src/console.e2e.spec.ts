import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { waitFor, WORKSPACE_ROOT } from '@audit/testing';
import { launchChromium } from './e2e/browser';
import { buildConsole, credentials, postEvents, startConsoleStack, type ConsoleStack } from './e2e/console-stack';
import { dataSet, MULTILINE_QUERY, USERS, type DataSet } from './e2e/data-set';

const SCREENSHOTS = path.join(WORKSPACE_ROOT, 'test-output/console');
const ORG = 'acme-console';

/**
 * The console at /audit driven in headless Chromium against the standalone platform: sign in with an
 * admin token minted by the CLI, filter by an action type and a user, read a query run's exact text,
 * share the view by its URL, export it from Downloads, and be sent back to sign-in by a 401.
 */
describe('console at /audit (Chromium, standalone platform)', () => {
  let stack: ConsoleStack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let token: string;
  let data: DataSet;
  let multilineId: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // The browser first: without it nothing below can run, and the message says how to get it.
    browser = await launchChromium();
    const consoleDir = buildConsole();
    stack = await startConsoleStack(consoleDir);
    const creds = await credentials(stack.env, ORG, 'admin-e2e');
    token = creds.token;
    data = dataSet(ORG, new Date());
    const ids = await postEvents(stack.service.url, creds.key, data.events);
    multilineId = ids[data.events.indexOf(data.multiline)];
    await waitFor(
      `${ids.length} events in Postgres`,
      async () => (await stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_trail_events WHERE id = ANY($1::uuid[])', [ids]))[0].n === ids.length,
      30_000,
      200,
    );
    mkdirSync(SCREENSHOTS, { recursive: true });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  const rows = () => page.locator('table.events-table tbody tr');
  const rowTexts = async (p: Page = page) => p.locator('table.events-table tbody tr').allInnerTexts();

  it('signs in with a pasted admin token and lists the newest events', async () => {
    await page.goto(`${stack.service.url}/audit`);
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await rows().first().waitFor({ timeout: 20_000 });
    // The newest of the data set (5 minutes ago) is on the first page; the console's own reads may be newer.
    const newest = [...data.events].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))[0];
    expect((await rowTexts()).some((t) => t.includes(newest.actionType) && t.includes(newest.user?.email ?? '?'))).toBe(true);
    expect(page.url()).not.toContain(token);
    expect(await page.evaluate(() => sessionStorage.getItem('audit.console.token'))).toBe(token);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'events-1280.png') });
  }, 60_000);

  it('loads the next pages through the cursor as the end of the table scrolls into view, each event once', async () => {
    // The data set's 164 events all fall in the last 24 hours: more than three pages of 50.
    const ids = async () => page.locator('table.events-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-event-id')));
    expect(await ids()).toHaveLength(50);
    const all = await waitFor(
      'every page of the view',
      async () => {
        await page.locator('.events-main').evaluate((el) => el.scrollTo(0, el.scrollHeight));
        return (await page.getByText(/End of the list/).count()) > 0 ? ids() : undefined;
      },
      30_000,
      300,
    );
    expect(all.length).toBeGreaterThanOrEqual(data.events.length);
    expect(new Set(all).size).toBe(all.length);
    const stored = await stack.db.query<{ id: string }>('SELECT id FROM audit_trail_events WHERE "organizationId" = $1 AND id = ANY($2::uuid[])', [ORG, all]);
    expect(stored).toHaveLength(all.length);
    await page.locator('.events-main').evaluate((el) => el.scrollTo(0, 0));
  }, 60_000);

  it('filters by an action type and a user, and keeps both in the URL', async () => {
    await page.getByRole('button', { name: /^Action/ }).click();
    const picker = page.getByRole('dialog', { name: 'Filter by action type' });
    await picker.getByRole('checkbox', { name: /^QUERY_RUN\s/ }).check();
    await picker.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL((url) => url.searchParams.getAll('actionType').join() === 'QUERY_RUN');

    const user = page.getByRole('combobox', { name: 'User' });
    await user.fill('grace');
    await page.getByRole('option', { name: new RegExp(USERS.grace.email) }).click();
    await page.waitForURL((url) => url.searchParams.get('userId') === USERS.grace.id);

    const expected = data.graceQueryRuns.map((e) => e.queryName);
    const texts = await waitFor(
      "Grace's query runs in the table",
      async () => {
        const t = await rowTexts();
        return t.length === expected.length && t.every((r) => r.includes('QUERY_RUN') && r.includes(USERS.grace.email)) ? t : undefined;
      },
      20_000,
      200,
    );
    expect(texts.map((t) => expected.find((name) => name && t.includes(name)))).toEqual(expected);
    const url = new URL(page.url());
    expect(url.pathname).toBe('/audit/');
    expect(url.searchParams.getAll('actionType')).toEqual(['QUERY_RUN']);
    expect(url.searchParams.get('userId')).toBe(USERS.grace.id);
    expect(page.url()).not.toContain(token);
  }, 60_000);

  it('opens an event and shows its exact multi-line query text, parameters and headers', async () => {
    await rows().filter({ hasText: 'refundedOrders' }).click();
    const panel = page.getByRole('dialog', { name: 'Event details' });
    const query = panel.getByTestId('query-text');
    await query.waitFor({ timeout: 15_000 });
    expect(await query.textContent()).toBe(MULTILINE_QUERY);
    expect(await panel.innerText()).toContain('"dateRange.start": "2026-11-01T00:00:00Z"');
    expect(await panel.innerText()).toContain('"x-request-id": "req-7f3a"');
    expect(await panel.innerText()).toContain('203.0.113.7');
    expect(await panel.innerText()).toContain('1.83 s');
    // The open event is part of the view's URL too.
    expect(new URL(page.url()).searchParams.get('event')).toBe(multilineId);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'event-detail-1280.png') });

    // Escape closes the panel and gives the focus back to the row it was opened from.
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-event-id'))).toBe(multilineId);
  }, 60_000);

  it('reopens the same view from its URL in a fresh browser session, after signing in', async () => {
    const shared = page.url();
    const other = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    try {
      const second = await other.newPage();
      await second.goto(shared);
      await second.getByLabel('Admin token').fill(token);
      await second.getByRole('button', { name: 'Sign in' }).click();
      const texts = await waitFor(
        'the shared view',
        async () => {
          const t = await rowTexts(second);
          return t.length === data.graceQueryRuns.length ? t : undefined;
        },
        20_000,
        200,
      );
      expect(texts.every((t) => t.includes('QUERY_RUN') && t.includes(USERS.grace.email))).toBe(true);
      expect(await second.getByRole('button', { name: /^Action/ }).innerText()).toContain('QUERY_RUN');
      // The link holds the user's id; the field shows who it is.
      await waitFor('the user filter to show the email', async () => (await second.getByRole('combobox', { name: 'User' }).inputValue()) === USERS.grace.email, 10_000, 100);
      await second.getByRole('link', { name: 'Insights' }).click();
      await second.getByRole('img', { name: /Slowest queries/ }).waitFor({ timeout: 20_000 });
      await second.getByRole('img', { name: /Events per hour/ }).waitFor({ timeout: 20_000 });
      await second.screenshot({ path: path.join(SCREENSHOTS, 'insights-1440.png') });
    } finally {
      await other.close();
    }
  }, 60_000);

  it('exports the current view from Downloads and offers the file when it is ready', async () => {
    await page.getByRole('button', { name: /Downloads/ }).click();
    const panel = page.getByRole('dialog', { name: 'Downloads' });
    await panel.getByRole('button', { name: 'Export current view' }).click();
    const link = panel.getByRole('link', { name: /Download CSV/ }).first();
    await link.waitFor({ timeout: 60_000 });
    expect(await panel.innerText()).toContain(`${data.graceQueryRuns.length} rows`);
    const href = await link.getAttribute('href');
    const res = await fetch(new URL(href ?? '', `${stack.service.url}/audit/`));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('gzip');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'downloads-1280.png') });
    await page.keyboard.press('Escape');
  }, 90_000);

  it('sends a rejected token back to sign-in with a message, and signing out forgets the token', async () => {
    await page.evaluate(() => sessionStorage.setItem('audit.console.token', 'eyJhbGciOiJIUzI1NiJ9.eyJvcmciOiJ4In0.bm90LWEtc2lnbmF0dXJl'));
    await page.reload();
    await page.getByText(/You were signed out/).waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => sessionStorage.getItem('audit.console.token'))).toBeNull();

    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await rows().first().waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('audit.console.token'))).toBeNull();
  }, 60_000);

  it('never put the token in a log, and the page raised no script error', () => {
    expect(stack.service.output()).not.toContain(token);
    expect(pageErrors).toEqual([]);
  });
});
