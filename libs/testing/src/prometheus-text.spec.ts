import fc from 'fast-check';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { metricSample, parsePrometheusText, type PrometheusSample } from './prometheus-text';

/** The exposition format's escaping of a label value. */
const escape = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const render = (s: PrometheusSample): string => {
  const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escape(v)}"`);
  const value = s.value === Infinity ? '+Inf' : s.value === -Infinity ? '-Inf' : String(s.value);
  return `${s.name}${labels.length ? `{${labels.join(',')}}` : ''} ${value}`;
};

const sampleArbitrary: fc.Arbitrary<PrometheusSample> = fc.record({
  name: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,20}$/),
  labels: fc.dictionary(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,10}$/), fc.string({ unit: 'binary', maxLength: 20 }), { maxKeys: 4 }),
  value: fc.oneof(fc.double({ noNaN: true }), fc.integer()),
});

describe('parsePrometheusText', () => {
  it('reads back every sample as written, whatever its label values hold (quotes, backslashes, newlines, commas, braces)', () => {
    fc.assert(
      fc.property(fc.array(sampleArbitrary, { maxLength: 8 }), (samples) => {
        const text = ['# HELP x something', '# TYPE x counter', ...samples.map(render), ''].join('\n');
        expect(parsePrometheusText(text)).toEqual(samples.map((s) => ({ ...s, value: Object.is(s.value, -0) ? 0 : s.value })));
      }),
    );
  });

  it('ignores a timestamp after the value and refuses a line that is not a sample, naming it', () => {
    expect(parsePrometheusText('up{job="a"} 1 1700000000000\n')).toEqual([{ name: 'up', labels: { job: 'a' }, value: 1 }]);
    expect(() => parsePrometheusText('up{job="a} 1')).toThrow('not a Prometheus sample (unterminated label value): up{job="a} 1');
    expect(() => parsePrometheusText('up 1 2 3')).toThrow('not a Prometheus sample (value): up 1 2 3');
    expect(() => parsePrometheusText('up one')).toThrow('not a Prometheus sample (value): up one');
  });
});

describe('metricSample', () => {
  it('reads what prom-client serves: counters and histogram buckets, by their exact label set', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'audit_test_total', help: 'h', labelNames: ['route', 'outcome'], registers: [registry] });
    const histogram = new Histogram({ name: 'audit_test_size', help: 'h', labelNames: ['consumer'], buckets: [1, 100], registers: [registry] });
    counter.inc({ route: '/t/:id', outcome: 'acked' }, 2);
    counter.inc({ route: 'a,b="c"} 9', outcome: 'acked' }, 5);
    histogram.observe({ consumer: 'writer' }, 50);
    histogram.observe({ consumer: 'writer' }, 500);
    // prom-client writes NaN as `Nan` (its event-loop lag gauges do before their first sample).
    new Gauge({ name: 'audit_test_lag', help: 'h', registers: [registry] }).set(NaN);
    const text = await registry.metrics();

    expect({
      plain: metricSample(text, 'audit_test_total', { route: '/t/:id', outcome: 'acked' }),
      awkward: metricSample(text, 'audit_test_total', { outcome: 'acked', route: 'a,b="c"} 9' }),
      fewerLabels: metricSample(text, 'audit_test_total', { outcome: 'acked' }),
      bucket: metricSample(text, 'audit_test_size_bucket', { consumer: 'writer', le: '100' }),
      inf: metricSample(text, 'audit_test_size_bucket', { consumer: 'writer', le: '+Inf' }),
      sum: metricSample(text, 'audit_test_size_sum', { consumer: 'writer' }),
      absent: metricSample(text, 'audit_test_total', { route: '/t/:id', outcome: 'nacked' }),
      nan: metricSample(text, 'audit_test_lag'),
    }).toEqual({ plain: 2, awkward: 5, fewerLabels: undefined, bucket: 1, inf: 2, sum: 550, absent: undefined, nan: NaN });
  });
});
