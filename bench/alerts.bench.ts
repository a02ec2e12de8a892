/**
 * The cost of evaluating 100 alerts through the real evaluator path: `npm run bench:alerts`. Loads
 * BENCH_ALERT_EVENTS (200,000) events of 10 organizations over 8 days into embedded ClickHouse (chDB),
 * creates 100 alerts through `/v1/alerts` (the three recipes over the 10 organizations, cycled), then times
 * BENCH_ALERT_ROUNDS (5) evaluator ticks of one minute each (`AlertEvaluator.tick`: the advisory lock, the
 * due alerts from Postgres, one ClickHouse statement per alert, the position and firing stored per alert,
 * the firings recorded on the bus and delivered to a local webhook). Beside it, from the same run: the
 * same 100 ClickHouse statements alone (`evaluateAlert`), and 100 plain `count()` of each alert's last hour.
 */
import { randomUUID } from 'node:crypto';
import { ALERT_RECIPES, evaluateAlert, type AlertView } from '@audit/alerts';
import { ClickHouse, ClickHouseEventsRepository, toClickHouseRow } from '@audit/clickhouse';
import { ACTION_TYPES, type ActionType } from '@audit/contracts';
import { parseSearch } from '@audit/search';
import { TestReceiver } from '@audit/testing';
import { sampleEvent, startAlertsStack } from '@audit/testing-pipeline';
import { percentile, watchMachineLoad } from './cpu';
import { BenchResults } from './results';

const EVENTS = Number(process.env.BENCH_ALERT_EVENTS ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ALERT_ROUNDS ?? 5);
const ALERTS = 100;
const ORGS = 10;
const NOW = new Date('2026-11-24T12:00:00.000Z');
const MINUTE = 60_000;
const SPAN = 8 * 86_400_000;

async function main(): Promise<void> {
  const results = new BenchResults('alerts');
  const stack = await startAlertsStack('audit_bench_alerts');
  const receiver = new TestReceiver();
  await receiver.start();
  try {
    const repo = stack.app.get(ClickHouseEventsRepository);
    const client = stack.app.get(ClickHouse).client;
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
    const alerts = Array.from({ length: ALERTS }, (_, i) => ({ recipe: ALERT_RECIPES[i % ALERT_RECIPES.length], org: `org-${i % ORGS}`, name: `alert-${i}` }));
    for (const a of alerts) {
      const answer = await stack.call<AlertView>(a.org, 'POST', '/v1/alerts', {
        name: a.name,
        query: a.recipe.search,
        condition: a.recipe.condition,
        webhook: { url: receiver.url(`/${a.org}`), secret: 'bench-alert-secret-0123456789' },
      });
      if (answer.status !== 201) throw new Error(`creating an alert answered ${answer.status}: ${answer.text}`);
    }

    const load = watchMachineLoad();
    // One tick evaluates each alert's minute ending at NOW; each round starts again from the minute before.
    const tick = async () => {
      await stack.db.query(`UPDATE alerts SET "evaluatedUntil" = $1, "firedUntil" = NULL`, [new Date(NOW.getTime() - MINUTE)]);
      await stack.db.query(`DELETE FROM alert_firings`);
      const started = performance.now();
      const report = await stack.evaluator.tick(new Date(NOW.getTime() + 21_000));
      const ms = performance.now() - started;
      if (report.evaluated !== ALERTS || report.failed > 0) throw new Error(`a tick evaluated ${report.evaluated} alerts, ${report.failed} failed`);
      return { ms, fired: report.fired, delivered: report.delivered };
    };
    const statements = async () => {
      const started = performance.now();
      for (const a of alerts) await evaluateAlert(client, a.org, parseSearch(a.recipe.search, NOW), new Map(), a.recipe.condition, NOW);
      return performance.now() - started;
    };
    const from = new Date(NOW.getTime() - 3_600_000).toISOString().replace('T', ' ').replace('Z', '');
    const to = NOW.toISOString().replace('T', ' ').replace('Z', '');
    const raw = async () => {
      const started = performance.now();
      for (const a of alerts) {
        const result = await client.query({
          query: `SELECT count() AS n FROM audit_events WHERE organizationId = {org:String} AND createdAt >= {from:DateTime64(3, 'UTC')} AND createdAt < {to:DateTime64(3, 'UTC')}`,
          query_params: { org: a.org, from, to },
          format: 'JSONEachRow',
        });
        await result.json();
      }
      return performance.now() - started;
    };
    // Warm every path once, then interleave the rounds so the machine's load weighs on each alike.
    await tick();
    await statements();
    await raw();
    const ticks: Array<{ ms: number; fired: number; delivered: number }> = [];
    const alone: number[] = [];
    const plain: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      ticks.push(await tick());
      alone.push(await statements());
      plain.push(await raw());
    }
    const { note } = load.stop();
    const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);
    const tickMs = median(ticks.map((t) => t.ms));
    const aloneMs = median(alone);
    const plainMs = median(plain);
    const { fired, delivered } = ticks[ticks.length - 1];
    console.log(`${EVENTS} events of ${ORGS} organizations over 8 days, embedded ClickHouse (chDB, one query at a time); median of ${ROUNDS} rounds`);
    console.log(`evaluator tick, 100 alerts (3 recipes × 10 organizations), one minute each: ${tickMs.toFixed(0)} ms (${(tickMs / ALERTS).toFixed(1)} ms per alert; ${fired} fired, ${delivered} recorded and delivered)`);
    console.log(`the same 100 ClickHouse statements alone (evaluateAlert): ${aloneMs.toFixed(0)} ms`);
    console.log(`raw baseline, 100 plain count() of the last hour: ${plainMs.toFixed(0)} ms`);
    console.log(note);
    results.figure('evaluator tick of 100 alerts', Math.round(tickMs), 'ms', { name: '100 plain count() of the last hour', value: Math.round(plainMs), unit: 'ms' });
    results.figure('100 alert statements alone (evaluateAlert)', Math.round(aloneMs), 'ms', { name: '100 plain count() of the last hour', value: Math.round(plainMs), unit: 'ms' });
    results.note(`${EVENTS} events of ${ORGS} organizations over 8 days in embedded ClickHouse; 100 alerts; median of ${ROUNDS} rounds; each tick ${fired} firings recorded and delivered to a local webhook`);
    results.note(note);
    results.write();
  } finally {
    await receiver.stop();
    await stack.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
