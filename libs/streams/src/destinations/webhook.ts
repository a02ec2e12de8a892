import { HttpTarget, webhookSignature, WEBHOOK_SIGNATURE_HEADER } from '@audit/sinks';
import type { Reach } from '../network-guard';
import { isJsonRecord, type OutgoingRecord, type Sender } from './sender';

/**
 * Signed POSTs, as the deployment-wide webhook sink sends them: `{"events": [...]}` for JSON records
 * (newline-separated text for the others), `X-Audit-Signature: t=<unix seconds>,v1=<hmac>[,v1=<hmac>]` with
 * one HMAC per active secret (two while rotating). The connection is kept between batches.
 */
export class WebhookSender implements Sender {
  readonly maxEvents = 1000;
  readonly maxBytes = 5_000_000;

  private readonly target: HttpTarget;

  constructor(
    url: string,
    private readonly secrets: readonly string[],
    timeoutMs: number,
    private readonly reach: Reach,
  ) {
    this.target = new HttpTarget(url, { timeoutMs, lookup: reach.lookup });
  }

  async send(chunk: readonly OutgoingRecord[]): Promise<void> {
    const json = chunk.every((r) => isJsonRecord(r.record));
    const body = json ? `{"events":[${chunk.map((r) => r.record).join(',')}]}` : chunk.map((r) => r.record).join('\n');
    this.reach.assertPublic();
    await this.target.post(body, {
        'Content-Type': json ? 'application/json' : 'text/plain; charset=utf-8',
        'User-Agent': 'audit-trail-stream/1',
        [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(this.secrets, body, Math.floor(Date.now() / 1000)),
    });
  }

  close(): Promise<void> {
    this.target.close();
    return Promise.resolve();
  }
}
