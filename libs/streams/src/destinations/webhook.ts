import { HttpTarget, webhookSignature, WEBHOOK_SIGNATURE_HEADER } from '@audit/sinks';
import type { Reach } from '../network-guard';
import { bodyOf, ChunkSender, isJsonRecord, type OutgoingRecord, type PreparedChunk } from './sender';

/** A webhook chunk's body, already bytes, and how it is labelled (JSON, or text lines for CEF). */
interface WebhookChunk extends PreparedChunk {
  readonly body: Buffer;
  readonly contentType: string;
}

/**
 * Signed POSTs, as the deployment-wide webhook sink sends them: `{"events": [...]}` for JSON records
 * (newline-separated text for the others), `X-Audit-Signature: t=<unix seconds>,v1=<hmac>[,v1=<hmac>]` with
 * one HMAC per active secret (two while rotating). The connection is kept between batches.
 */
export class WebhookSender extends ChunkSender {
  readonly maxEvents = 1000;
  readonly maxBytes = 5_000_000;

  private readonly target: HttpTarget;

  constructor(
    url: string,
    private readonly secrets: readonly string[],
    timeoutMs: number,
    private readonly reach: Reach,
  ) {
    super();
    this.target = new HttpTarget(url, { timeoutMs, lookup: reach.lookup });
  }

  /**
   * The body as the bytes that are sent and signed, each record written into it once (see bodyOf). It was a
   * string that the HTTP request encoded and the signature copied into `<t>.<body>` and encoded again.
   */
  prepare(chunk: readonly OutgoingRecord[]): Promise<WebhookChunk> {
    const json = chunk.every((r) => isJsonRecord(r.record));
    const records = chunk.map((r) => r.record);
    const body = json ? bodyOf(records, '{"events":[', ',', ']}') : bodyOf(records, '', '\n');
    return Promise.resolve({ records: chunk, body, contentType: json ? 'application/json' : 'text/plain; charset=utf-8' });
  }

  /** Signed as it leaves: a receiver may refuse a signature whose time is old, and a retry may come much later. */
  async deliver(prepared: PreparedChunk): Promise<void> {
    const { body, contentType } = prepared as WebhookChunk;
    this.reach.assertPublic();
    await this.target.post(body, {
      'Content-Type': contentType,
      'User-Agent': 'audit-trail-stream/1',
      [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(this.secrets, body, Math.floor(Date.now() / 1000)),
    });
  }

  close(): Promise<void> {
    this.target.close();
    return Promise.resolve();
  }
}
