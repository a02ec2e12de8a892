import { AuditClient, type AuditClientOptions } from './audit-client';
import { HttpTransport } from './http-transport';
import { NatsTransport, type NatsIdentity } from './nats-transport';

/** Options of {@link createAuditClient}: a NATS URL, or an ingest URL with an API key. */
export type CreateAuditClientOptions = AuditClientOptions &
  (
    | {
        /** NATS server URL(s), e.g. `nats://nats:4222`. */
        natsUrl: string | string[];
        /** Connection name (default `audit-client`). */
        name?: string;
        /** Connect and per-ack timeout in ms (default 5000). */
        timeoutMs?: number;
      } & NatsIdentity
    | {
        /** Ingest service base URL, e.g. `https://audit.example.com`. */
        baseUrl: string;
        /** Ingest API key of the organization. */
        apiKey: string;
        /** Per-attempt timeout in ms (default 10000). */
        timeoutMs?: number;
        /** Retries after 500/502/503/504/408/429/network errors (default 3). */
        retries?: number;
      }
  );

/**
 * Builds an {@link AuditClient} on a {@link NatsTransport} (`{ natsUrl }`,
 * connecting first) or an {@link HttpTransport} (`{ baseUrl, apiKey }`).
 *
 * @throws AuditClientError `UNAVAILABLE` if NATS cannot be reached.
 */
export async function createAuditClient(opts: CreateAuditClientOptions): Promise<AuditClient> {
  const clientOpts: AuditClientOptions = { validate: opts.validate };
  if ('natsUrl' in opts) {
    const transport = await NatsTransport.connect({
      servers: opts.natsUrl,
      name: opts.name,
      timeoutMs: opts.timeoutMs,
      user: opts.user,
      password: opts.password,
      inboxPrefix: opts.inboxPrefix,
      tls: opts.tls,
    });
    return new AuditClient(transport, clientOpts);
  }
  const transport = new HttpTransport({
    baseUrl: opts.baseUrl,
    apiKey: opts.apiKey,
    timeoutMs: opts.timeoutMs,
    retries: opts.retries,
  });
  return new AuditClient(transport, clientOpts);
}
