import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { waitFor, WORKSPACE_ROOT } from '@audit/testing';
import { launchChromium } from './e2e/browser';
import { buildConsole, credentials, postEvents, startConsoleStack, type ConsoleStack } from './e2e/console-stack';
import { dataSet, type DataSet } from './e2e/data-set';

const SCREENSHOTS = path.join(WORKSPACE_ROOT, 'docs/screenshots');
const ORG = 'acme-views';
// A day-long coalescing window, so one test's visit does not straddle two windows (a new window is a new view).
const READ_WINDOW_MS = 86_400_000;

interface ReadRecord {
  actionType: string;
  metadata: { path?: string; filters?: Record<string, unknown> };
  createdAt: Date;
}

/**
 * The console's views in headless Chromium against the standalone platform: what an administrator's visit
 * records in the audit trail, the narrow (phone) layout, narrowing the view from the chart, and what a
 * bad link says.
 */
describe('console views (Chromium, standalone platform)', () => {
  let stack: ConsoleStack;
  let browser: Browser;
  let data: DataSet;
  const tokens: Record<'visitor' | 'other', string> = { visitor: '', other: '' };
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    const consoleDir = buildConsole();
    stack = await startConsoleStack(consoleDir, { AUDIT_READ_WINDOW: '1d' });
    const visitor = await credentials(stack.env, ORG, 'admin-visitor');
    tokens.visitor = visitor.token;
    tokens.other = (await credentials(stack.env, ORG, 'admin-other')).token;
    data = dataSet(ORG, new Date());
    const ids = await postEvents(stack.service.url, visitor.key, data.events);
    await waitFor(
      'the data set in Postgres',
      async () => (await stack.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_trail_events WHERE id = ANY($1::uuid[])', [ids]))[0].n === ids.length,
      30_000,
      200,
    );
    // The chart and the count come from ClickHouse: wait for the projector to hold the data set too.
    await waitFor(
      'the data set in ClickHouse',
      async () => {
        const res = await fetch(`${stack.service.url}/v1/analytics/count?from=${new Date(Date.now() - 86_400_000).toISOString()}&to=${new Date().toISOString()}&hideAuditReads=true`, {
          headers: { authorization: `Bearer ${tokens.other}` },
        });
        // Besides the data set, the two key creations of credentials() are recorded (UPDATE_ORGANIZATION).
        return res.status === 200 && ((await res.json()) as { count: number }).count === data.events.length + 2;
      },
      60_000,
      300,
    );
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  /** A signed-in page of a fresh browser session at a viewport size, counting the API calls it makes. */
  async function signedIn(token: string, width: number, height = 900): Promise<{ page: Page; context: BrowserContext; apiCalls: string[] }> {
    // A zone other than the machine's (UTC), so that the UTC switch has something to change.
    const context = await browser.newContext({ viewport: { width, height }, timezoneId: 'America/Sao_Paulo' });
    await context.addInitScript((t) => sessionStorage.setItem('audit.console.token', t), token);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const apiCalls: string[] = [];
    page.on('request', (req) => {
      const url = new URL(req.url());
      if (url.pathname.startsWith('/v1/')) apiCalls.push(`${req.method()} ${url.pathname}`);
    });
    return { page, context, apiCalls };
  }

  const rows = (page: Page) => page.locator('table.events-table tbody tr');

  /** The audit records of one administrator, once the writer has stored them all (the count holds still). */
  async function recordsOf(admin: string): Promise<ReadRecord[]> {
    let last = -1;
    return waitFor(
      `the records of ${admin}`,
      async () => {
        const found = await stack.db.query<ReadRecord>(
          `SELECT "actionType", metadata, "createdAt" FROM audit_trail_events WHERE "organizationId" = $1 AND "userId" = $2 ORDER BY "createdAt"`,
          [ORG, admin],
        );
        const settled = found.length === last;
        last = found.length;
        return settled ? found : undefined;
      },
      30_000,
      1_000,
    );
  }

  it("records one read per view an administrator opens, none for paging, polling, the chart, the count or the user lookup", async () => {
    const started = Date.now();
    const { page, context, apiCalls } = await signedIn(tokens.visitor, 1440);
    try {
      // View 1: the default list (its chart and count are the same view), and its next pages.
      await page.goto(`${stack.service.url}/audit/`);
      await rows(page).first().waitFor({ timeout: 20_000 });
      await waitFor(
        'the end of the list',
        async () => {
          await page.locator('.events-main').evaluate((el) => el.scrollTo(0, el.scrollHeight));
          return (await page.getByText(/End of the list/).count()) > 0 ? true : undefined;
        },
        30_000,
        300,
      );
      // The user filter's suggestions: auxiliary, recorded nowhere.
      await page.getByRole('combobox', { name: 'User' }).focus();
      await page.getByRole('listbox', { name: 'Users' }).getByRole('option').first().waitFor({ timeout: 10_000 });
      await page.keyboard.press('Escape');
      // An export (always recorded, as PAGE_EXPORT), then the Downloads list polled until it is ready.
      await page.getByRole('button', { name: /Downloads/ }).click();
      const downloads = page.getByRole('dialog', { name: 'Downloads' });
      await downloads.getByRole('button', { name: 'Export current view' }).click();
      await downloads.getByRole('link', { name: /Download/ }).first().waitFor({ timeout: 60_000 });
      await page.keyboard.press('Escape');
      // View 2: the list narrowed to logins. View 3: one event of it.
      await page.goto(`${stack.service.url}/audit/?actionType=LOGIN`);
      await rows(page).first().waitFor({ timeout: 20_000 });
      await rows(page).first().click();
      await page.getByRole('dialog', { name: 'Event details' }).getByText('Page views').or(page.getByRole('dialog', { name: 'Event details' }).getByText('User logs in')).first().waitFor({ timeout: 15_000 });
      // View 1 again, within the window: covered by its first record.
      await page.goto(`${stack.service.url}/audit/`);
      await rows(page).first().waitFor({ timeout: 20_000 });
      await page.getByTestId('view-total').waitFor({ timeout: 20_000 });
    } finally {
      await context.close();
    }
    const crossed = Math.floor(Date.now() / READ_WINDOW_MS) !== Math.floor(started / READ_WINDOW_MS);
    const records = await recordsOf('admin-visitor');
    const views = records.filter((r) => r.actionType === 'PAGE_VIEW');
    const exportsRecorded = records.filter((r) => r.actionType === 'PAGE_EXPORT');
    const listViews = views.filter((r) => r.metadata.path === '/v1/events' || r.metadata.path?.startsWith('/v1/analytics/'));
    const eventViews = views.filter((r) => /^\/v1\/events\/[0-9a-f-]{36}$/.test(r.metadata.path ?? ''));
    const gets = apiCalls.filter((c) => c.startsWith('GET '));
    // What the visit asked, and what it recorded (printed for the README's figures).
    process.stdout.write(`console visit: ${gets.length} GET requests to the API, ${views.length} PAGE_VIEW records, ${exportsRecorded.length} PAGE_EXPORT\n`);
    expect(exportsRecorded).toHaveLength(1);
    expect(views.filter((r) => /^\/v1\/(users|exports)/.test(r.metadata.path ?? ''))).toEqual([]);
    expect(eventViews).toHaveLength(1);
    // The default list and the logins list: two views, unless the visit straddled two windows.
    expect(listViews.length).toBeGreaterThanOrEqual(2);
    expect(listViews.length).toBeLessThanOrEqual(crossed ? 4 : 2);
    expect(listViews.filter((r) => (r.metadata.filters ?? {}).actionType === 'LOGIN').length).toBeGreaterThanOrEqual(1);
    expect(views).toHaveLength(listViews.length + eventViews.length);
    // Many requests, few records: pages, chart, count, lookups and polling recorded nothing of their own.
    expect(gets.length).toBeGreaterThan(views.length * 3);
  }, 180_000);

  it('hides the log\'s own reads by default, and shows them with the switch', async () => {
    const { page, context } = await signedIn(tokens.other, 1440);
    try {
      await page.goto(`${stack.service.url}/audit/?actionType=PAGE_VIEW`);
      await rows(page).first().waitFor({ timeout: 20_000 });
      const pages = async () => (await rows(page).allInnerTexts()).some((t) => /\baudit\b/.test(t));
      expect(await pages()).toBe(false);
      await page.getByLabel("Show the log's own reads").check();
      await page.waitForURL((url) => url.searchParams.get('reads') === 'shown');
      await waitFor('the reads listed', async () => ((await pages()) ? true : undefined), 20_000, 200);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('narrows the view to a bucket when its bar in the chart is clicked', async () => {
    const { page, context } = await signedIn(tokens.other, 1440);
    try {
      await page.goto(`${stack.service.url}/audit/`);
      await rows(page).first().waitFor({ timeout: 20_000 });
      // The oldest bucket with events: the newest also holds what this run's administrators did (an export).
      const bar = page.locator('.activity g.column.pickable[tabindex="0"]').first();
      await bar.waitFor({ timeout: 20_000 });
      const bucket = Date.parse((await bar.getAttribute('data-bucket')) ?? '');
      await bar.click();
      await page.waitForURL((url) => url.searchParams.get('range') === 'custom');
      const url = new URL(page.url());
      const from = Date.parse(url.searchParams.get('from') ?? '');
      const to = Date.parse(url.searchParams.get('to') ?? '');
      expect(from).toBeGreaterThanOrEqual(bucket);
      expect(to).toBeLessThanOrEqual(bucket + 3_600_000);
      expect(to).toBeGreaterThan(from);
      const expected = data.events.filter((e) => Date.parse(e.createdAt) >= from && Date.parse(e.createdAt) < to).length;
      expect(expected).toBeGreaterThan(0);
      const times = await waitFor(
        'the rows of the bucket',
        async () => {
          const t = await page.locator('table.events-table tbody tr time').evaluateAll((els) => els.map((el) => Date.parse(el.getAttribute('datetime') ?? '')));
          return t.length === expected ? t : undefined;
        },
        20_000,
        200,
      );
      expect(times.every((t) => t >= from && t < to)).toBe(true);
      // The chart and the total follow the narrowed view too.
      await waitFor('the total of the bucket', async () => ((await page.getByTestId('view-total').innerText()).includes(String(expected)) ? true : undefined), 20_000, 200);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('fits a 360 px wide screen: no sideways scrolling, every header control reachable', async () => {
    for (const width of [360, 390]) {
      const { page, context } = await signedIn(tokens.other, width, 800);
      try {
        const noSidewaysScroll = async (where: string) => {
          const overflow = await page.evaluate(() => {
            const doc = document.documentElement;
            const wide = [...document.querySelectorAll<HTMLElement>('body *')]
              .filter((el) => el.getBoundingClientRect().right > doc.clientWidth + 1 && el.getClientRects().length > 0)
              .filter((el) => !el.closest('.sr-only, .skip-link'))
              .slice(0, 5)
              .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
            return { scroll: doc.scrollWidth - doc.clientWidth, wide };
          });
          expect({ where, width, ...overflow }).toEqual({ where, width, scroll: 0, wide: [] });
        };
        await page.goto(`${stack.service.url}/audit/`);
        await rows(page).first().waitFor({ timeout: 20_000 });
        await page.getByTestId('view-total').waitFor({ timeout: 20_000 });
        await noSidewaysScroll('events');
        for (const control of [page.getByRole('button', { name: 'Sign out' }), page.getByRole('button', { name: /Downloads/ }), page.getByRole('link', { name: 'Insights' })]) {
          const box = await control.boundingBox();
          expect(box && box.x >= 0 && box.x + box.width <= width).toBe(true);
        }
        if (width === 390) await page.screenshot({ path: path.join(SCREENSHOTS, 'events-390.png'), fullPage: false });
        await rows(page).first().click();
        await page.getByRole('dialog', { name: 'Event details' }).locator('.detail-body').waitFor({ timeout: 15_000 });
        await noSidewaysScroll('event details');
        if (width === 390) await page.screenshot({ path: path.join(SCREENSHOTS, 'event-detail-390.png') });
        await page.getByRole('link', { name: 'Insights' }).click();
        await page.getByRole('img', { name: /Events per/ }).waitFor({ timeout: 20_000 });
        await noSidewaysScroll('insights');
        if (width === 390) await page.screenshot({ path: path.join(SCREENSHOTS, 'insights-390.png') });
      } finally {
        await context.close();
      }
    }
  }, 120_000);

  it('says what a bad link holds, and "not found" for a missing event; shows times in UTC on request', async () => {
    const { page, context } = await signedIn(tokens.other, 1440);
    try {
      await page.goto(`${stack.service.url}/audit/?actionType=NOT_A_TYPE&colour=red&event=0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b`);
      const notice = page.locator('.url-problems');
      await notice.waitFor({ timeout: 15_000 });
      expect(await notice.innerText()).toContain('actionType "NOT_A_TYPE" is not an action type');
      expect(await notice.innerText()).toContain('"colour" is not a parameter of this page');
      await page.getByRole('dialog', { name: 'Event details' }).getByText('Event not found').waitFor({ timeout: 15_000 });
      await page.screenshot({ path: path.join(SCREENSHOTS, 'bad-link-1440.png') });

      await page.goto(`${stack.service.url}/audit/`);
      await rows(page).first().waitFor({ timeout: 20_000 });
      const first = rows(page).first().locator('time');
      const iso = (await first.getAttribute('datetime')) ?? '';
      expect(await page.getByLabel('Time zone').locator('option:checked').innerText()).toContain('America/Sao_Paulo');
      const local = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: 'America/Sao_Paulo' }).format(new Date(iso));
      expect(await first.innerText()).toBe(local);
      await page.getByLabel('Time zone').selectOption('utc');
      const utc = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: 'UTC' }).format(new Date(iso));
      expect(await first.innerText()).toBe(utc);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'events-1440.png') });
      await page.getByRole('link', { name: 'Insights' }).click();
      await page.getByRole('img', { name: /Slowest queries/ }).waitFor({ timeout: 20_000 });
      await page.screenshot({ path: path.join(SCREENSHOTS, 'insights-1440.png') });
    } finally {
      await context.close();
    }
  }, 60_000);

  it('raised no script error in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
