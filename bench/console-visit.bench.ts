/**
 * What one administrator's 5-minute visit of the console records in the audit trail, before and after
 * reads were coalesced per view.
 *
 * A scripted visit in headless Chromium against the standalone platform: the default list and its next
 * pages, three events opened, a text search, an action-type filter, a user picked from the lookup, the
 * Insights page, refreshes, an export followed in Downloads until ready, a chart bar clicked, and the
 * default view again. Time is compressed by CONSOLE_VISIT_SPEEDUP (default 5): the visit's 300 seconds
 * (pauses and actions) take about a minute, and the coalescing window AUDIT_READ_WINDOW is 5 minutes
 * divided the same way (60 s), so the visit spans one window as a real 5-minute visit spans one 5-minute
 * window (the visit starts just after a window boundary; a real visit straddling one records its views
 * once more in the next window).
 *
 * "Before" is what the former rule recorded: one PAGE_VIEW per successful admin GET of the API, counted
 * here from the browser's own requests (the Downloads polling runs on its real 2 s timer, so compressed
 * time undercounts it: the "before" figure is a lower bound). "After" is what Postgres holds for the
 * visiting administrator once the writer has caught up.
 *
 * Run: npm run bench:console-visit
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { waitFor } from '@audit/testing';
// The console's browser harness is test code inside the console app, not a lib one could import by name:
// the visit drives the console exactly as its browser tests do rather than through a copy of them.
/* eslint-disable @nx/enforce-module-boundaries */
import { launchChromium } from '../apps/console/src/e2e/browser';
import { buildConsole, credentials, postEvents, startConsoleStack } from '../apps/console/src/e2e/console-stack';
import { dataSet } from '../apps/console/src/e2e/data-set';
/* eslint-enable @nx/enforce-module-boundaries */

const ORG = 'acme-visit';
const ADMIN = 'admin-visit';
const VISIT_SECONDS = 300;
const SPEEDUP = Number(process.env.CONSOLE_VISIT_SPEEDUP ?? '5');
const WINDOW_MS = (VISIT_SECONDS * 1000) / SPEEDUP;

/** A pause of the visit, in the visit's own seconds. */
const pause = (visitSeconds: number) => sleep((visitSeconds * 1000) / SPEEDUP);

async function visit(page: Page, base: string): Promise<void> {
  const rows = page.locator('table.events-table tbody tr');
  await page.goto(`${base}/audit/`);
  await rows.first().waitFor({ timeout: 30_000 });
  await pause(20);
  // The next pages of the list.
  for (let i = 0; i < 3; i++) {
    await page.locator('.events-main').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await pause(5);
  }
  await page.locator('.events-main').evaluate((el) => el.scrollTo(0, 0));
  // Three events, one after the other.
  for (const n of [0, 2, 4]) {
    await rows.nth(n).click();
    await page.getByRole('dialog', { name: 'Event details' }).locator('.detail-body').waitFor({ timeout: 15_000 });
    await pause(10);
  }
  await page.keyboard.press('Escape');
  // A text search.
  await page.getByPlaceholder(/Search names/).fill('refund');
  await page.getByRole('button', { name: 'Apply' }).click();
  await pause(20);
  // An action type, then a user picked from the lookup.
  await page.goto(`${base}/audit/?actionType=QUERY_RUN`);
  await rows.first().waitFor({ timeout: 30_000 });
  await pause(20);
  await page.getByRole('combobox', { name: 'User' }).fill('gr');
  await page.getByRole('listbox', { name: 'Users' }).getByRole('option').first().click();
  await page.waitForURL((url) => url.searchParams.has('userId'));
  await pause(20);
  // Insights, then the default list again, refreshed twice.
  await page.goto(`${base}/audit/insights`);
  await page.getByRole('img', { name: /Slowest queries/ }).waitFor({ timeout: 30_000 });
  await pause(30);
  await page.goto(`${base}/audit/`);
  await rows.first().waitFor({ timeout: 30_000 });
  for (let i = 0; i < 2; i++) {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await pause(15);
  }
  // An export, followed in Downloads until it is ready.
  await page.getByRole('button', { name: /Downloads/ }).click();
  const downloads = page.getByRole('dialog', { name: 'Downloads' });
  await downloads.getByRole('button', { name: 'Export current view' }).click();
  await downloads.getByRole('link', { name: /Download/ }).first().waitFor({ timeout: 60_000 });
  await page.keyboard.press('Escape');
  await pause(20);
  // A bar of the chart, then back to the default list until the visit's time is up.
  await page.locator('.activity g.column.pickable[tabindex="0"]').first().click();
  await page.waitForURL((url) => url.searchParams.get('range') === 'custom');
  await pause(20);
  await page.goto(`${base}/audit/`);
  await rows.first().waitFor({ timeout: 30_000 });
}

async function main(): Promise<void> {
  const browser = await launchChromium();
  const stack = await startConsoleStack(buildConsole(), { AUDIT_READ_WINDOW: `${WINDOW_MS}ms` });
  try {
    const creds = await credentials(stack.env, ORG, ADMIN);
    await postEvents(stack.service.url, creds.key, dataSet(ORG, new Date()).events);
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await context.addInitScript({ content: `sessionStorage.setItem('audit.console.token', ${JSON.stringify(creds.token)})` });
    const page = await context.newPage();
    const gets: string[] = [];
    page.on('response', (res) => {
      const url = new URL(res.url());
      if (res.request().method() === 'GET' && url.pathname.startsWith('/v1/') && !url.pathname.endsWith('/download') && res.status() < 300) gets.push(url.pathname);
    });
    // Start just after a window boundary, so the visit spans one window (see the header).
    await sleep(WINDOW_MS - (Date.now() % WINDOW_MS) + 1000);
    const started = Date.now();
    const sinceFirst = await stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_trail_events WHERE "userId" = $1`, [ADMIN]);
    await visit(page, stack.service.url);
    const elapsed = Date.now() - started;
    await context.close();
    let last = -1;
    const recorded = await waitFor(
      "the visit's records in Postgres",
      async () => {
        const rows = await stack.db.query<{ actionType: string; n: number }>(
          `SELECT "actionType", count(*)::int AS n FROM audit_trail_events WHERE "organizationId" = $1 AND "userId" = $2 GROUP BY 1`,
          [ORG, ADMIN],
        );
        const total = rows.reduce((s, r) => s + r.n, 0);
        const settled = total === last;
        last = total;
        return settled ? rows : undefined;
      },
      30_000,
      1_000,
    );
    const byPath = new Map<string, number>();
    for (const path of gets) {
      const kind = path.replace(/\/v1\/events\/[0-9a-f-]{36}/, '/v1/events/:id');
      byPath.set(kind, (byPath.get(kind) ?? 0) + 1);
    }
    const views = recorded.find((r) => r.actionType === 'PAGE_VIEW')?.n ?? 0;
    const exportsRecorded = recorded.find((r) => r.actionType === 'PAGE_EXPORT')?.n ?? 0;
    console.log(`console visit: ${VISIT_SECONDS} s of visit in ${(elapsed / 1000).toFixed(1)} s (speedup ${SPEEDUP}), AUDIT_READ_WINDOW ${WINDOW_MS} ms, windows spanned ${Math.floor((started + elapsed) / WINDOW_MS) - Math.floor(started / WINDOW_MS) + 1}`);
    console.log(`  admin GET requests answered 2xx: ${gets.length} (${[...byPath.entries()].map(([p, n]) => `${p} ${n}`).join(', ')})`);
    console.log(`  before (one PAGE_VIEW per admin GET):      ${gets.length} PAGE_VIEW + ${exportsRecorded} PAGE_EXPORT`);
    console.log(`  after (one PAGE_VIEW per view per window): ${views} PAGE_VIEW + ${exportsRecorded} PAGE_EXPORT (records before the visit: ${sinceFirst[0].n})`);
  } finally {
    await browser.close();
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
