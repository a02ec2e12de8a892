import type { Browser, Page } from 'playwright-core';
import { waitFor } from '@audit/testing';
import { launchChromium } from './e2e/browser';
import { buildConsole, credentials, postEvents, startConsoleStack, type ConsoleStack } from './e2e/console-stack';

const ORG = 'acme-search';
const ADA = { id: 'u-ada', email: 'ada@example.com', userName: 'Ada Lovelace' };
const GRACE = { id: 'u-grace', email: 'grace@example.com', userName: 'Grace Hopper' };

/**
 * The search box and the Live switch in headless Chromium against the standalone platform: type a query
 * with the completion's help, see the rows and the URL follow, then turn Live on and see a new matching
 * event appear at the top of the table (and a non-matching one not).
 */
describe('console search box and Live switch (Chromium, standalone platform)', () => {
  let stack: ConsoleStack;
  let browser: Browser;
  let page: Page;
  let key: string;
  const pageErrors: string[] = [];

  const event = (actionType: string, user: typeof ADA, minutesAgo: number) => ({
    organizationId: ORG,
    actionType,
    userId: user.id,
    user: { email: user.email, userName: user.userName },
    createdAt: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
  });

  beforeAll(async () => {
    browser = await launchChromium();
    const consoleDir = buildConsole();
    stack = await startConsoleStack(consoleDir, { PROJECTOR_FLUSH_INTERVAL: '50ms', WRITER_FLUSH_INTERVAL: '50ms' });
    const creds = await credentials(stack.env, ORG, 'admin-search');
    key = creds.key;
    const ids = await postEvents(stack.service.url, key, [
      ...[5, 6, 7].map((m) => event('LOGIN', ADA, m)),
      ...[8, 9].map((m) => event('LOGIN', GRACE, m)),
      ...[10, 11].map((m) => event('QUERY_RUN', ADA, m)),
    ]);
    await waitFor(
      'the events in Postgres',
      async () => (await stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_trail_events WHERE id = ANY($1::uuid[])', [ids]))[0].n === ids.length,
      30_000,
      200,
    );
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${stack.service.url}/audit`);
    await page.getByLabel('Admin token').fill(creds.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('table.events-table tbody tr').first().waitFor({ timeout: 20_000 });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  const rowIds = () => page.locator('table.events-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-event-id')));
  const rowTexts = () => page.locator('table.events-table tbody tr').allInnerTexts();
  /** The view's total beside the table and the activity chart's total (both from the analytics API), null while absent. */
  const totals = () =>
    page.evaluate(() => ({
      view: document.querySelector('[data-testid="view-total"]')?.textContent?.trim() ?? null,
      chart: document.querySelector('.activity .legend-total')?.textContent?.trim() ?? null,
    }));
  const totalsBecome = (view: string, chart: string) =>
    waitFor(`totals "${view}" and "${chart}"`, async () => {
      const t = await totals();
      if (t.view !== view || t.chart !== chart) throw new Error(`shown: ${JSON.stringify(t)}`);
      return t;
    }, 20_000);

  it('completes qualifiers, action types and users, and keeps the applied query in the URL; the chart and the total follow it', async () => {
    // Unsearched: every event of the view, as many as the table lists (the seven sent and what the platform
    // recorded of its own), once the projector has them: the counts come from ClickHouse.
    const listed = (await rowIds()).length;
    expect(listed).toBeGreaterThan(3);
    await totalsBecome(`of ${listed}`, `${listed} events`);
    const box = page.getByRole('combobox', { name: 'Search events' });
    await box.click();
    await box.pressSequentially('act');
    await page.getByRole('option', { name: /action:/ }).click();
    await box.pressSequentially('LOGI');
    await page.getByRole('option', { name: 'LOGIN' }).waitFor();
    await box.press('ArrowDown');
    await box.press('Enter');
    await box.pressSequentially('user:ad');
    // Users come from GET /v1/users?q=ad.
    await page.getByRole('option', { name: /ada@example\.com/ }).click();
    expect(await box.inputValue()).toBe('action:LOGIN user:ada@example.com ');
    await box.press('Enter');
    await page.waitForURL((url) => url.searchParams.get('search') === 'action:LOGIN user:ada@example.com');
    const texts = await waitFor('only Ada’s logins', async () => {
      const t = await rowTexts();
      return t.length === 3 && t.every((r) => r.includes('LOGIN') && r.includes(ADA.email)) ? t : undefined;
    }, 20_000);
    expect(texts).toHaveLength(3);
    // The chart and the total count the search's events, not the organization's.
    await totalsBecome('of 3', '3 events');
    // The URL alone holds the view: loading it again shows the same query, rows, chart and total.
    await page.reload();
    await page.locator('table.events-table tbody tr').first().waitFor({ timeout: 20_000 });
    expect(await page.getByRole('combobox', { name: 'Search events' }).inputValue()).toBe('action:LOGIN user:ada@example.com');
    await totalsBecome('of 3', '3 events');
  }, 60_000);

  it('streams a new matching event into the top of the table once Live is on, and not one that does not match', async () => {
    const before = await rowIds();
    await page.getByRole('button', { name: 'Live', exact: true }).click({ timeout: 5_000 });
    await page.getByText('New events appear at the top as they arrive.').waitFor({ timeout: 10_000 });
    const [other] = await postEvents(stack.service.url, key, [event('LOGIN', GRACE, 0)]);
    const [mine] = await postEvents(stack.service.url, key, [event('LOGIN', ADA, 0)]);
    await waitFor('the new event on top', async () => ((await rowIds())[0] === mine ? true : undefined), 10_000, 50);
    const after = await rowIds();
    expect(after).toEqual([mine, ...before]);
    expect(after).not.toContain(other);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
