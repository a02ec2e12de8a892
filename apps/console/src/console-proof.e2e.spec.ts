import type { Browser, Page } from 'playwright-core';
import { waitFor } from '@audit/testing';
import { launchChromium } from './e2e/browser';
import { buildConsole, credentials, postEvents, startConsoleStack, type ConsoleStack } from './e2e/console-stack';

const ORG = 'acme-proof';

/**
 * The event detail panel checks the event's proof in the browser (WebCrypto SHA-256 and Ed25519) with
 * the log's keys: "Verified in checkpoint #N" for a sealed event, and a failure naming what differs for
 * an event edited in Postgres after it was sealed.
 */
describe('console: the proof check in the event detail panel (Chromium, standalone platform)', () => {
  let stack: ConsoleStack;
  let browser: Browser;
  let token: string;
  let ids: string[];

  beforeAll(async () => {
    browser = await launchChromium();
    stack = await startConsoleStack(buildConsole(), { SEAL_INTERVAL: '500ms' });
    const creds = await credentials(stack.env, ORG, 'admin-proof');
    token = creds.token;
    const now = Date.now();
    ids = await postEvents(
      stack.service.url,
      creds.key,
      [0, 1].map((i) => ({
        organizationId: ORG,
        actionType: 'QUERY_RUN',
        userId: `u-${i}`,
        user: { email: `u${i}@example.com`, userName: `User ${i}` },
        ipAddress: '203.0.113.7',
        queryName: `q${i}`,
        metadata: { query: `select ${i}`, parameters: { id: i, ratio: 1.5 } },
        createdAt: new Date(now - 60_000 + i).toISOString(),
      })),
    );
    for (const id of ids) {
      await waitFor(`the proof of ${id}`, async () => (await fetch(`${stack.service.url}/v1/events/${id}/proof`, { headers: { authorization: `Bearer ${token}` } })).status === 200, 60_000, 300);
    }
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  const statusOf = async (id: string): Promise<string> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page: Page = await context.newPage();
      await page.goto(`${stack.service.url}/audit?event=${id}`);
      await page.getByLabel('Admin token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const status = page.getByRole('dialog', { name: 'Event details' }).getByTestId('proof-status');
      return await waitFor(
        'the proof check',
        async () => {
          const text = (await status.textContent({ timeout: 20_000 })) ?? '';
          return text.includes('Checking') ? undefined : text;
        },
        30_000,
        200,
      );
    } finally {
      await context.close();
    }
  };

  it('shows Verified for a sealed event', async () => {
    expect(await statusOf(ids[0])).toMatch(/^✓ Verified in checkpoint #\d+ \(.+, key audit-trail [0-9a-f]{8}\)$/);
  }, 60_000);

  it('shows a failure for an event whose IP address was changed in Postgres', async () => {
    await stack.db.query(`UPDATE audit_trail_events SET "ipAddress" = '198.51.100.9' WHERE id = $1`, [ids[1]]);
    expect(await statusOf(ids[1])).toBe('✗ Verification failed: its content is not what was sealed');
  }, 60_000);

  it('lists the checkpoints and the public key on the Checkpoints page', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const page = await context.newPage();
      await page.goto(`${stack.service.url}/audit/checkpoints`);
      await page.getByLabel('Admin token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      const keys = page.getByTestId('log-keys');
      await keys.locator('li').first().waitFor({ timeout: 20_000 });
      expect(await keys.innerText()).toMatch(/^audit-trail\+[0-9a-f]{8}\+/);
      const note = await page.getByTestId('latest-note').innerText();
      expect(note).toContain(`audit-trail/log/${ORG}`);
      expect(await page.locator('table.checkpoints-table tbody tr').count()).toBeGreaterThan(0);
    } finally {
      await context.close();
    }
  }, 60_000);
});
