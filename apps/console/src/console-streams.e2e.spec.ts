import path from 'node:path';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { TestReceiver, waitFor, WORKSPACE_ROOT } from '@audit/testing';
import { launchChromium } from './e2e/browser';
import { buildConsole, credentials, startConsoleStack, type ConsoleStack } from './e2e/console-stack';

const SCREENSHOTS = path.join(WORKSPACE_ROOT, 'docs/screenshots');
const ORG = 'acme-streams';
const SECRET = 'whsec-console-test-0123456789';

/**
 * The streams section of Settings in Chromium against the standalone platform, delivering to a webhook
 * receiver run by the test: create (a bad URL first, named beside its field), list, the secret never shown
 * again, pause and resume, a test event and its delivery in the history, the list refreshing by itself
 * (one request at a time, none while the tab is hidden); the section at 360 px.
 */
declare function setTabHidden(hidden: boolean): void;

describe('console streams settings (Chromium, standalone platform, webhook receiver)', () => {
  let stack: ConsoleStack;
  let browser: Browser;
  let receiver: TestReceiver;
  let token = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    receiver = new TestReceiver();
    await receiver.start();
    const consoleDir = buildConsole();
    // The receiver listens on loopback, which streams refuse unless an operator allows private networks.
    stack = await startConsoleStack(consoleDir, { STREAMS_ALLOW_PRIVATE_NETWORKS: 'true', STREAMS_REFRESH_INTERVAL: '500ms' });
    token = (await credentials(stack.env, ORG, 'admin-streams')).token;
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await receiver?.stop();
  }, 60_000);

  async function settingsAt(width: number, height = 900): Promise<{ page: Page; context: BrowserContext }> {
    const context = await browser.newContext({ viewport: { width, height } });
    await context.addInitScript((t) => sessionStorage.setItem('audit.console.token', t), token);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const isList = (request: Request) => request.method() === 'GET' && new URL(request.url()).pathname === '/v1/streams';
    page.on('request', (request) => {
      if (!isList(request)) return;
      listLoads.started++;
      listLoads.maxInFlight = Math.max(listLoads.maxInFlight, ++listLoads.inFlight);
    });
    const settled = (request: Request) => void (isList(request) && listLoads.inFlight--);
    page.on('requestfinished', settled);
    page.on('requestfailed', settled);
    // Stands for the tab going to the background: what the browser reports then, and the event it sends.
    await page.addInitScript(() => {
      let hidden = false;
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
      (window as unknown as { setTabHidden: (h: boolean) => void }).setTabHidden = (h: boolean) => {
        hidden = h;
        document.dispatchEvent(new Event('visibilitychange'));
      };
    });
    await page.goto(`${stack.service.url}/audit/settings`);
    await page.getByRole('heading', { name: 'Streams' }).waitFor({ timeout: 20_000 });
    return { page, context };
  }

  /** The console's requests for the list: how many began, and the most ever under way at once. */
  const listLoads = { started: 0, inFlight: 0, maxInFlight: 0 };
  const api = (pathname: string) => fetch(`${stack.service.url}${pathname}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' }).then((r) => expect(r.status).toBe(200));

  const listed = async () =>
    (await fetch(`${stack.service.url}/v1/streams`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json())) as { items: Array<{ id: string; name: string; state: { status: string }; lag: { events: number; seconds: number } | null }> };

  it('creates a webhook stream (a bad URL named beside its field first), lists it, never shows its secret, pauses, resumes and sends a test event', async () => {
    const { page, context } = await settingsAt(1440);
    try {
      await page.getByRole('button', { name: 'New stream' }).click();
      const form = page.getByRole('form', { name: 'New stream' });
      await form.getByLabel('Name *').fill('siem webhook');
      await form.getByLabel('URL *').fill('not a url');
      await form.getByLabel('Signing secret *').fill(SECRET);
      await form.getByRole('button', { name: 'Create stream' }).click();
      // The server's reason for destination.url, beside the URL input (its description).
      const urlInput = form.getByLabel('URL *');
      await waitFor('the URL field error', async () => ((await urlInput.getAttribute('aria-invalid')) === 'true' ? true : undefined), 15_000, 100);
      const describedBy = (await urlInput.getAttribute('aria-describedby')) ?? '';
      expect(await page.locator(`[id="${describedBy}"]`).innerText()).toMatch(/must be a URL starting with https:\/\/ or http:\/\//);
      expect((await listed()).items).toEqual([]);

      await urlInput.fill(receiver.url('/hook'));
      await form.getByRole('button', { name: 'Create stream' }).click();
      const item = page.getByTestId('stream-item').filter({ hasText: 'siem webhook' });
      await item.waitFor({ timeout: 15_000 });
      expect(await item.innerText()).toContain(receiver.url('/hook'));
      expect(await item.locator('.status').innerText()).toBe('active');
      // The secret is nowhere on the page once saved, nor in what the API answers.
      expect(await page.locator('body').innerText()).not.toContain(SECRET);
      expect(JSON.stringify(await listed())).not.toContain(SECRET);
      // Editing shows the secret as stored, in an empty password field.
      await item.getByRole('button', { name: 'Edit' }).click();
      const edit = page.getByRole('form', { name: 'Edit stream siem webhook' });
      const secretInput = edit.getByLabel('Signing secret', { exact: true });
      expect(await secretInput.inputValue()).toBe('');
      expect(await secretInput.getAttribute('type')).toBe('password');
      await edit.getByText('Stored (never shown). Leave empty to keep it.').first().waitFor();
      await edit.getByRole('button', { name: 'Cancel' }).click();

      await item.getByRole('button', { name: 'Pause' }).click();
      await waitFor('paused', async () => ((await item.locator('.status').innerText()) === 'paused' ? true : undefined), 10_000, 100);
      expect((await listed()).items[0].state.status).toBe('paused');
      await item.getByRole('button', { name: 'Resume' }).click();
      await waitFor('active again', async () => ((await item.locator('.status').innerText()) === 'active' ? true : undefined), 10_000, 100);
      await item.getByRole('button', { name: 'Send test event' }).click();
      await item.getByText(/Test event delivered in \d+ ms/).waitFor({ timeout: 20_000 });
      // The receiver got one signed request holding the sample event, and the history shows the delivery.
      const hooks = receiver.on('/hook');
      expect(hooks.length).toBeGreaterThanOrEqual(1);
      expect(hooks.some((r) => r.body.includes('"test":true'))).toBe(true);
      const history = item.getByRole('table', { name: 'Recent deliveries' });
      await history.waitFor({ timeout: 10_000 });
      const firstRow = history.locator('tbody tr').first();
      expect(await firstRow.locator('td').nth(1).innerText()).toBe('1');
      expect(await firstRow.locator('td').nth(2).innerText()).toBe('delivered');
      expect(await firstRow.locator('td').nth(3).innerText()).toMatch(/^\d+ ms$/);
      await page.screenshot({ path: path.join(SCREENSHOTS, 'settings-1440.png'), fullPage: true });

      // Once the stream has run (its worker picks it up within STREAMS_REFRESH_INTERVAL), the API answers its lag,
      // and the list, read again every 5 s while on screen, shows it without the page being reloaded.
      await item.scrollIntoViewIfNeeded();
      // The changes made in the page reload the list at once (dropping a poll under way); from here on only polls do.
      listLoads.maxInFlight = listLoads.inFlight;
      const lag = item.getByTestId('stream-lag');
      // The stream's own state (the open history below has a status per delivery).
      const status = item.locator('.stream-head .status');
      await waitFor('the lag shown', async () => (/^(up to date|\d+ events? to send, the oldest stored \d+ s ago)$/.test(await lag.innerText()) ? true : undefined), 30_000, 200);
      // A change made elsewhere (here the API, as the CLI would) shows too.
      await api(`/v1/streams/${(await listed()).items[0].id}/pause`);
      await waitFor('paused by the API, shown', async () => ((await status.innerText()) === 'paused' ? true : undefined), 15_000, 200);
      // A hidden tab reads nothing; shown again after longer than the period, it reads at once.
      const before = listLoads.started;
      await page.evaluate(() => setTabHidden(true));
      await new Promise((resolve) => setTimeout(resolve, 6_500));
      expect(listLoads.started).toBe(before);
      await api(`/v1/streams/${(await listed()).items[0].id}/resume`);
      await page.evaluate(() => setTabHidden(false));
      await waitFor('active again once shown', async () => ((await status.innerText()) === 'active' ? true : undefined), 4_000, 100);
      // One list request at a time, ever: the next is timed from the end of the last.
      expect(listLoads.started).toBeGreaterThan(before);
      expect(listLoads.maxInFlight).toBe(1);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('fits a 360 px wide screen: no sideways scrolling in Settings, the stream form open', async () => {
    for (const width of [360, 390]) {
      const { page, context } = await settingsAt(width, 800);
      try {
        await page.getByTestId('stream-item').first().waitFor({ timeout: 15_000 });
        await page.getByRole('button', { name: 'New stream' }).click();
        await page.getByRole('form', { name: 'New stream' }).getByLabel('Destination').selectOption('s3');
        await page.getByTestId('stream-item').first().getByRole('button', { name: 'Deliveries' }).click();
        await page.getByRole('table', { name: 'Recent deliveries' }).waitFor({ timeout: 10_000 });
        const overflow = await page.evaluate(() => {
          const doc = document.documentElement;
          // Elements that scroll within themselves (the deliveries table's box) may hold wider content.
          const inScroller = (el: Element) => el.closest('.stream-deliveries, .checkpoints-settings .code') !== null;
          const wide = [...document.querySelectorAll<HTMLElement>('body *')]
            .filter((el) => el.getBoundingClientRect().right > doc.clientWidth + 1 && el.getClientRects().length > 0 && !inScroller(el))
            .filter((el) => !el.closest('.sr-only, .skip-link'))
            .slice(0, 5)
            .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
          return { scroll: doc.scrollWidth - doc.clientWidth, wide };
        });
        expect({ width, ...overflow }).toEqual({ width, scroll: 0, wide: [] });
        if (width === 390) await page.screenshot({ path: path.join(SCREENSHOTS, 'settings-390.png'), fullPage: true });
      } finally {
        await context.close();
      }
    }
  }, 90_000);

  it('raised no script error in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
