import { HttpTarget, webhookSignature, WEBHOOK_SIGNATURE_HEADER } from '@audit/sinks';
import type { Reach } from '../network-guard';
import { ChunkSender, isJsonRecord, type OutgoingRecord, type PreparedChunk } from './sender';

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

  prepare(chunk: readonly OutgoingRecord[]): Promise<PreparedChunk> {
    const json = chunk.every((r) => isJsonRecord(r.record));
    return Promise.resolve({ records: chunk, body: json ? `{"events":[${chunk.map((r) => r.record).join(',')}]}` : chunk.map((r) => r.record).join('\n') });
  }

  /** Signed as it leaves: a receiver may refuse a signature whose time is old, and a retry may come much later. */
  async deliver({ records, body }: PreparedChunk): Promise<void> {
    const text = body.toString();
    const json = records.every((r) => isJsonRecord(r.record));
    this.reach.assertPublic();
    await this.target.post(text, {
      'Content-Type': json ? 'application/json' : 'text/plain; charset=utf-8',
      'User-Agent': 'audit-trail-stream/1',
      [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(this.secrets, text, Math.floor(Date.now() / 1000)),
    });
  }

  close(): Promise<void> {
    this.target.close();
    return Promise.resolve();
  }
}
