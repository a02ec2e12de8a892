import { postBatch, webhookSignature, WEBHOOK_SIGNATURE_HEADER } from '@audit/sinks';
import { isJsonRecord, type OutgoingRecord, type Sender } from './sender';

/**
 * Signed POSTs, as the deployment-wide webhook sink sends them: `{"events": [...]}` for JSON records
 * (newline-separated text for the others), `X-Audit-Signature: t=<unix seconds>,v1=<hmac>[,v1=<hmac>]` with
 * one HMAC per active secret (two while rotating).
 */
export class WebhookSender implements Sender {
  readonly maxEvents = 1000;
  readonly maxBytes = 5_000_000;

  constructor(
    private readonly url: string,
    private readonly secrets: readonly string[],
    private readonly timeoutMs: number,
  ) {}

  async send(chunk: readonly OutgoingRecord[]): Promise<void> {
    const json = chunk.every((r) => isJsonRecord(r.record));
    const body = json ? `{"events":[${chunk.map((r) => r.record).join(',')}]}` : chunk.map((r) => r.record).join('\n');
    await postBatch(
      this.url,
      body,
      {
        'Content-Type': json ? 'application/json' : 'text/plain; charset=utf-8',
        'User-Agent': 'audit-trail-stream/1',
        [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(this.secrets, body, Math.floor(Date.now() / 1000)),
      },
      this.timeoutMs,
    );
  }

  /** Nothing to release: each request stands alone. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
