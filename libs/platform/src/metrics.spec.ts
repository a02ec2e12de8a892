import { register } from 'prom-client';
import { ensureDefaultMetrics } from './metrics';
import { sleep } from './sleep';

describe('audit_event_loop_delay_seconds', () => {
  afterAll(() => register.clear());

  it('records a stall of the event loop past its 100 ms bucket', async () => {
    ensureDefaultMetrics();
    await sleep(200);
    const over = async (seconds: number): Promise<number> => {
      const metric = register.getSingleMetric('audit_event_loop_delay_seconds');
      if (!metric) throw new Error('audit_event_loop_delay_seconds is not registered');
      const { values } = (await metric.get()) as { values: Array<{ metricName?: string; labels: { le?: number | string }; value: number }> };
      const count = values.find((v) => v.metricName === 'audit_event_loop_delay_seconds_count')?.value ?? NaN;
      const within = values.find((v) => v.metricName === 'audit_event_loop_delay_seconds_bucket' && v.labels.le === seconds)?.value ?? NaN;
      return count - within;
    };
    // A shared machine may stall the loop on its own: count from here.
    const before = await over(0.1);
    const until = performance.now() + 150;
    while (performance.now() < until) {
      // the stall: nothing else runs on this thread meanwhile
    }
    await sleep(60);
    expect(await over(0.1)).toBeGreaterThanOrEqual(before + 1);
  });
});
