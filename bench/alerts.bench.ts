/**
 * The cost of one evaluation round of 100 alerts: `npm run bench:alerts`. Loads BENCH_ALERT_EVENTS (200,000)
 * events of 10 organizations over 8 days into embedded ClickHouse (chDB), then evaluates 100 alerts (the
 * three recipes over the 10 organizations, cycled) at one instant, and prints the round's wall time and
 * the median per alert, beside a raw baseline from the same run: 100 plain `count()` statements over each
 * alert's organization and last hour.
 */
import { randomUUID } from 'node:crypto';
import { ALERT_RECIPES, evaluateAlert } from '@audit/alerts';
import { toClickHouseRow } from '@audit/clickhouse';
import { ACTION_TYPES, type ActionType } from '@audit/contracts';
import { parseSearch } from '@audit/search';
import { embeddedEventsRepository, sampleEvent } from '@audit/testing-pipeline';
import { percentile } from './cpu';

const EVENTS = Number(process.env.BENCH_ALERT_EVENTS ?? 200_000);
const ALERTS = 100;
const ORGS = 10;
const NOW = new Date('2026-11-24T12:00:00.000Z');
const SPAN = 8 * 86_400_000;

async function main(): Promise<void> {
  const { ch, client, repo } = await embeddedEventsRepository();
  try {
    for (let done = 0; done < EVENTS; done += 20_000) {
      const rows = Array.from({ length: Math.min(20_000, EVENTS - done) }, (_, i) => {
        const n = done + i;
        return toClickHouseRow(
          sampleEvent(n, {
            id: randomUUID(),
            organizationId: `org-${n % ORGS}`,
            actionType: ACTION_TYPES[(n * 7) % ACTION_TYPES.length] as ActionType,
            userId: `u-${n % 97}`,
            createdAt: new Date(NOW.getTime() - ((n * 7919) % SPAN)).toISOString(),
          }),
        );
      });
      await repo.insertNew(rows);
    }
    const alerts = Array.from({ length: ALERTS }, (_, i) => ({ recipe: ALERT_RECIPES[i % ALERT_RECIPES.length], org: `org-${i % ORGS}` }));
    const timed = async (work: (a: (typeof alerts)[number]) => Promise<unknown>) => {
      const each: number[] = [];
      const started = performance.now();
      for (const alert of alerts) {
        const t = performance.now();
        await work(alert);
        each.push(performance.now() - t);
      }
      return { total: performance.now() - started, median: percentile(each.sort((a, b) => a - b), 50) };
    };
    // Warm both paths once.
    await timed((a) => evaluateAlert(client, a.org, parseSearch(a.recipe.search, NOW), new Map(), a.recipe.condition, NOW));
    const round = await timed((a) => evaluateAlert(client, a.org, parseSearch(a.recipe.search, NOW), new Map(), a.recipe.condition, NOW));
    const from = new Date(NOW.getTime() - 3_600_000).toISOString().replace('T', ' ').replace('Z', '');
    const to = NOW.toISOString().replace('T', ' ').replace('Z', '');
    const raw = await timed(async (a) => {
      const result = await client.query({
        query: `SELECT count() AS n FROM audit_events WHERE organizationId = {org:String} AND createdAt >= {from:DateTime64(3, 'UTC')} AND createdAt < {to:DateTime64(3, 'UTC')}`,
        query_params: { org: a.org, from, to },
        format: 'JSONEachRow',
      });
      return result.json();
    });
    console.log(`${EVENTS} events of ${ORGS} organizations over 8 days, embedded ClickHouse (chDB, one query at a time)`);
    console.log(`100 alerts (3 recipes × 10 organizations): one round ${round.total.toFixed(0)} ms, median ${round.median.toFixed(1)} ms per alert`);
    console.log(`raw baseline, 100 plain count() of the last hour: ${raw.total.toFixed(0)} ms, median ${raw.median.toFixed(1)} ms`);
  } finally {
    await ch.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
