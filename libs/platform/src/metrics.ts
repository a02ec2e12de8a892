import { Controller, Get, Header } from '@nestjs/common';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, register, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { EVENT_LOOP_SAMPLE_MS, eventLoopDelay } from './event-loop-delay';

let defaultsCollected = false;

/** Process metrics once per process, however many modules boot in it (standalone boots them all). */
export function ensureDefaultMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics({ prefix: 'audit_process_' });
  observeEventLoopDelay();
}

/**
 * `audit_event_loop_delay_seconds`: how late a timer due every 20 ms fired (eventLoopDelay), as a histogram.
 * Every request a service answers waits this long on top of its own work, so its p99 is the floor of any
 * read's p99. The default `audit_process_nodejs_eventloop_lag_p99_seconds` says the same per scrape (it
 * resets when read); this one adds up over time and across replicas, so `histogram_quantile` works on it.
 */
function observeEventLoopDelay(): void {
  const delay = histogram('audit_event_loop_delay_seconds', `Delay of a timer due every ${EVENT_LOOP_SAMPLE_MS} ms: how long the event loop was busy past it`, [], [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  eventLoopDelay().onSample((lateMs) => delay.observe(lateMs / 1000));
}

/** Returns the metric registered under `name`, or registers it: modules share one registry per process. */
export function counter(name: string, help: string, labelNames: readonly string[] = []): Counter<string> {
  return (register.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames });
}

export function gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge<string> {
  return (register.getSingleMetric(name) as Gauge<string> | undefined) ?? new Gauge({ name, help, labelNames });
}

export function histogram(
  name: string,
  help: string,
  labelNames: readonly string[] = [],
  buckets: number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
): Histogram<string> {
  return (register.getSingleMetric(name) as Histogram<string> | undefined) ?? new Histogram({ name, help, labelNames, buckets });
}

type MetricsSource = () => Promise<MetricObjectWithValues<MetricValue<string>>[]>;
const extraSources = new Set<MetricsSource>();

/**
 * Adds the metrics of another registry of this process (a worker thread's, see worker-context.ts) to
 * what /metrics serves: series of the same name are merged (counters and histograms summed by labels).
 */
export function addMetricsSource(source: MetricsSource): () => void {
  extraSources.add(source);
  return () => extraSources.delete(source);
}

@Controller()
export class MetricsController {
  @Get('metrics')
  @Header('Content-Type', register.contentType)
  async metrics(): Promise<string> {
    if (extraSources.size === 0) return register.metrics();
    const all = await Promise.all([register.getMetricsAsJSON(), ...[...extraSources].map((source) => source())]);
    return AggregatorRegistry.aggregate(all).metrics();
  }
}
