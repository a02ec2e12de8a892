import { hostname } from 'node:os';
import { readConfig } from '@audit/platform';

export interface DatadogSinkConfig {
  apiKey: string;
  /** The logs intake: `DD_LOGS_URL`, else `https://http-intake.logs.<DD_SITE>/api/v2/logs`. */
  url: string;
  hostname: string;
  /** Extra `ddtags` (e.g. `env:prod`), appended to the organization and action type. */
  extraTags: string[];
}

export interface WebhookSinkConfig {
  url: string;
  secret: string;
}

export interface SinksConfig {
  stdout: boolean;
  datadog?: DatadogSinkConfig;
  webhook?: WebhookSinkConfig;
  /** Longest a sink waits to fill a batch before sending what it has. */
  flushIntervalMs: number;
  /** Timeout of one HTTP delivery; a timed-out request is retried like a 5xx. */
  httpTimeoutMs: number;
}

export const SINKS_CONFIG = Symbol('SINKS_CONFIG');

/** Each sink is enabled by its own variables: `LOG_AUDIT_EVENTS=true`, `DD_API_KEY`, `WEBHOOK_URL` (+ `WEBHOOK_SECRET`). */
export const readSinksConfig = (source: Record<string, string | undefined> = process.env): SinksConfig =>
  readConfig((env) => {
    const apiKey = env.optional('DD_API_KEY');
    const site = env.string('DD_SITE', 'datadoghq.com');
    if (!/^[a-z0-9.-]+$/i.test(site)) env.problem(`DD_SITE must be a Datadog site such as datadoghq.com or datadoghq.eu (got "${site}")`);
    const logsUrl = env.url('DD_LOGS_URL', ['https:', 'http:']);
    const webhookUrl = env.url('WEBHOOK_URL', ['https:', 'http:']);
    const webhookSecret = env.optional('WEBHOOK_SECRET');
    if (webhookUrl && !webhookSecret) env.problem('WEBHOOK_SECRET is required when WEBHOOK_URL is set (deliveries are signed with it)');
    if (webhookSecret !== undefined && webhookSecret.length < 16) env.problem('WEBHOOK_SECRET must be at least 16 characters');
    return {
      stdout: env.bool('LOG_AUDIT_EVENTS', false),
      datadog: apiKey
        ? {
            apiKey,
            url: logsUrl ?? `https://http-intake.logs.${site}/api/v2/logs`,
            hostname: env.string('DD_HOSTNAME', hostname()),
            extraTags: (env.optional('DD_TAGS') ?? '').split(',').map((t) => t.trim()).filter((t) => t.length > 0),
          }
        : undefined,
      webhook: webhookUrl && webhookSecret ? { url: webhookUrl, secret: webhookSecret } : undefined,
      flushIntervalMs: env.timer('SINK_FLUSH_INTERVAL', '1s'),
      httpTimeoutMs: env.timer('SINK_HTTP_TIMEOUT', '15s'),
    };
  }, source);
