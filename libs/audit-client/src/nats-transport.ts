import { eventMessageId, LIMITS } from '@audit/contracts';
import type { NatsConnection } from '@nats-io/nats-core';
import { connect } from '@nats-io/transport-node';
import { PipelinedPublisher } from '@audit/jetstream-publish';
import { AuditClientError, describeError } from './errors';
import { INGEST_SUBJECT_PREFIX, ingestSubject, type AuditEventWithId, type AuditTransport } from './transport';

/** Default time to wait for each JetStream ack (and for the connection in {@link NatsTransport.connect}). */
const DEFAULT_TIMEOUT_MS = 5_000;
/** Default number of publishes awaiting their ack at once. */
const DEFAULT_MAX_IN_FLIGHT = 256;

/** Options of the {@link NatsTransport} constructor. */
export type NatsTransportOptions = {
  /** How long to wait for each JetStream ack, in ms (default 5000). */
  timeoutMs?: number;
  /** How many publishes may await their ack at once (default 256). */
  maxInFlight?: number;
  /**
   * Subject prefix (default `audit.ingest`, which the `AUDIT_INGEST` stream
   * captures). Only for tests and isolated set-ups: ingest listens on
   * `audit.ingest.>` and nothing else.
   */
  subjectPrefix?: string;
  /**
   * The inbox prefix the connection was opened with (`inboxPrefix` of connect()), when it is not
   * `_INBOX`: acks are received there. {@link NatsTransport.connect} passes it on itself.
   */
  inboxPrefix?: string;
};

/**
 * Who the emitting service is to NATS. On the platform's bus an emitter is a user allowed to publish
 * only `audit.ingest.<its organization>` and to read only its own reply inbox, so `inboxPrefix` must be
 * the one the operator issued with the user (e.g. `_INBOX_<org>`); see docs/nats-security.md.
 */
export type NatsIdentity = {
  user?: string;
  password?: string;
  /** Subject prefix of the reply inbox on which JetStream acks arrive (default `_INBOX`). */
  inboxPrefix?: string;
  /** TLS files, e.g. `{ caFile }` to verify the server, plus `certFile` and `keyFile` for a client certificate. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
};

/** Options of {@link NatsTransport.connect}. */
export type NatsConnectOptions = NatsTransportOptions &
  NatsIdentity & {
    /** NATS server URL(s), e.g. `nats://nats:4222`. */
    servers: string | string[];
    /** Connection name shown by the server's monitoring (default `audit-client`). */
    name?: string;
  };

/**
 * Sends events over NATS JetStream: each event is published as JSON to
 * `audit.ingest.<organizationId>` with `Nats-Msg-Id` = `<organizationId>:<event id>`, and `send`
 * resolves once the stream has acked every one. The `AUDIT_INGEST` stream
 * drops a repeated msg id within its duplicate window, so resending after an
 * `UNAVAILABLE` error is safe (and the writer dedups by id after that).
 *
 * ```ts
 * const transport = await NatsTransport.connect({ servers: process.env.NATS_URL! });
 * // or, sharing a connection the service already has (then close() leaves it open):
 * const shared = new NatsTransport(nc);
 * ```
 */
export class NatsTransport implements AuditTransport {
  private readonly publisher: PipelinedPublisher;
  private readonly maxInFlight: number;
  private readonly subjectPrefix: string;
  /** True when {@link NatsTransport.connect} opened the connection, so close() drains it. */
  private ownsConnection = false;
  private closed = false;

  /** Wraps an existing connection; {@link NatsTransport.close} will not close it. */
  constructor(
    private readonly nc: NatsConnection,
    opts: NatsTransportOptions = {},
  ) {
    const timeoutMs = positiveInt(opts.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs');
    this.maxInFlight = positiveInt(opts.maxInFlight, DEFAULT_MAX_IN_FLIGHT, 'maxInFlight');
    this.subjectPrefix = opts.subjectPrefix ?? INGEST_SUBJECT_PREFIX;
    // Acks arrive under the connection's inbox prefix: the only inbox an emitter user may read.
    this.publisher = new PipelinedPublisher(nc, { timeoutMs, inboxPrefix: opts.inboxPrefix });
  }

  /**
   * Opens a connection of its own (reconnecting forever, `noAsyncTraces`),
   * which {@link NatsTransport.close} drains and closes.
   *
   * @throws AuditClientError `UNAVAILABLE` if no server could be reached within `timeoutMs`.
   */
  static async connect(opts: NatsConnectOptions): Promise<NatsTransport> {
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: opts.servers,
        name: opts.name ?? 'audit-client',
        timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        noAsyncTraces: true,
        // An emitting service lives long: survive NATS restarts instead of giving up after 10 attempts.
        maxReconnectAttempts: -1,
        ...(opts.user === undefined ? {} : { user: opts.user, pass: opts.password }),
        ...(opts.inboxPrefix === undefined ? {} : { inboxPrefix: opts.inboxPrefix }),
        ...(opts.tls === undefined ? {} : { tls: opts.tls }),
      });
    } catch (err) {
      throw new AuditClientError('UNAVAILABLE', `cannot connect to NATS at ${String(opts.servers)}: ${describeError(err)}`, {
        cause: err,
      });
    }
    const transport = new NatsTransport(nc, opts);
    transport.ownsConnection = true;
    return transport;
  }

  /**
   * Publishes every event (up to `maxInFlight` awaiting acks at once) and
   * resolves when all are acked. On the first failure no further event is
   * started, the in-flight ones are awaited, and `UNAVAILABLE` is thrown with
   * `details: { failed: string[], reason }`; resend the same events.
   *
   * @throws AuditClientError `VALIDATION_FAILED` when an event has no string id or an
   *   organizationId unusable as a subject token (nothing is published then).
   */
  async send(events: AuditEventWithId[]): Promise<void> {
    if (this.closed) throw new AuditClientError('UNAVAILABLE', 'the NATS transport is closed');
    if (events.length === 0) return;
    checkRoutable(events);

    const payloads = events.map((event) => ({
      subject: ingestSubject(event.organizationId, this.subjectPrefix),
      data: JSON.stringify(event),
      id: event.id,
      msgID: eventMessageId(event.organizationId, event.id),
    }));
    const failed: string[] = [];
    let firstError: unknown;
    let stop = false;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < payloads.length && !stop) {
        const p = payloads[next++];
        try {
          await this.publisher.publish(p.subject, p.data, { msgId: p.msgID });
        } catch (err) {
          if (!stop) firstError = err;
          stop = true;
          failed.push(p.id);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.maxInFlight, payloads.length) }, worker));

    if (stop) {
      const reason = describeError(firstError);
      throw new AuditClientError(
        'UNAVAILABLE',
        `NATS JetStream did not ack ${failed.length === events.length ? 'any' : 'every'} audit event (${reason}); resending the same events is safe`,
        { details: { failed, reason }, cause: firstError },
      );
    }
  }

  /** Drains and closes the connection if this transport opened it; otherwise leaves it open. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.publisher.close();
    if (this.ownsConnection && !this.nc.isClosed()) {
      try {
        await this.nc.drain();
      } catch {
        await this.nc.close();
      }
    }
  }
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`NatsTransport: ${name} must be a positive integer (got ${value})`);
  return value;
}

/** Guards the subject even when the client's validation is off: a bad token would mis-route or break the publish. */
function checkRoutable(events: readonly AuditEventWithId[]): void {
  const errors: { path: string; reason: string; index: number }[] = [];
  events.forEach((e, index) => {
    if (typeof e.organizationId !== 'string' || !LIMITS.organizationIdPattern.test(e.organizationId)) {
      errors.push({ path: `[${index}].organizationId`, reason: 'must match ^[A-Za-z0-9_-]{1,64}$ (a NATS subject token)', index });
    }
    if (typeof e.id !== 'string' || e.id.length === 0) {
      errors.push({ path: `[${index}].id`, reason: 'must be a non-empty string (the Nats-Msg-Id)', index });
    }
  });
  if (errors.length > 0) {
    throw new AuditClientError('VALIDATION_FAILED', `cannot route audit events: ${errors[0].path} ${errors[0].reason}`, { details: errors });
  }
}
