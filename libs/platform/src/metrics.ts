import { Controller, Get, Header } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, register } from 'prom-client';

let defaultsCollected = false;

/** Process metrics once per process, however many modules boot in it (standalone boots them all). */
export function ensureDefaultMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics({ prefix: 'audit_process_' });
  observeEventLoopDelay();
}

/** How often the event-loop delay is sampled: often enough to see a 50 ms stall, rare enough to cost nothing. */
const EVENT_LOOP_SAMPLE_MS = 20;

/**
 * `audit_event_loop_delay_seconds`: how late a timer due every 20 ms fired, as a histogram. Every request
 * a service answers waits this long on top of its own work, so its p99 is the floor of any read's p99.
 * The default `audit_process_nodejs_eventloop_lag_p99_seconds` says the same per scrape (it resets when
 * read); this one adds up over time and across replicas, so `histogram_quantile` works on it.
 */
function observeEventLoopDelay(): void {
  const delay = histogram('audit_event_loop_delay_seconds', 'Delay of a timer due every 20 ms: how long the event loop was busy past it', [], [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  let due = performance.now() + EVENT_LOOP_SAMPLE_MS;
  const tick = (): void => {
    const now = performance.now();
    delay.observe(Math.max(0, now - due) / 1000);
    due = now + EVENT_LOOP_SAMPLE_MS;
    setTimeout(tick, EVENT_LOOP_SAMPLE_MS).unref();
  };
  setTimeout(tick, EVENT_LOOP_SAMPLE_MS).unref();
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

@Controller()
export class MetricsController {
  @Get('metrics')
  @Header('Content-Type', register.contentType)
  metrics(): Promise<string> {
    return register.metrics();
  }
}
