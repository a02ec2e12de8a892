import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { TransientError } from '@audit/messaging';

/** The receiver refused the batch for good (a 4xx other than 408/429): retrying would never succeed. */
export class DeliveryRejectedError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'DeliveryRejectedError';
  }
}

/** What an answer means for the batch: nothing on 2xx; 408, 429 and 5xx are worth retrying; any other refuses it for good. */
function judge(status: number, statusText: string, text: string): void {
  if (status >= 200 && status < 300) return;
  const detail = `${status} ${statusText}${text ? `: ${text.slice(0, 300)}` : ''}`;
  if (status === 408 || status === 429 || status >= 500) throw new TransientError(`receiver answered ${detail}`);
  throw new DeliveryRejectedError(`receiver refused the batch: ${detail}`, status);
}

/**
 * POSTs one batch. Resolves on 2xx. 408, 429, 5xx, a timeout or a network failure → {@link TransientError}
 * (the consumer naks with backoff and the batch comes back); any other status → {@link DeliveryRejectedError}.
 */
export async function postBatch(url: string, body: Buffer | string, headers: Record<string, string>, timeoutMs: number): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new TransientError(`request to ${new URL(url).host} failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`, { cause: error });
  }
  const text = await response.text().catch(() => '');
  judge(response.status, response.statusText, text);
}

/** The most of an answer's body kept for the error message. */
const ANSWER_KEPT = 300;

/**
 * One receiver's URL with its own keep-alive connections, for a sender that posts to the same place batch
 * after batch (a stream): no TCP or TLS handshake per batch, and `lookup` decides which address each new
 * connection goes to (the streams pin the address they checked). Answers are judged as {@link postBatch}
 * judges them; a redirect is not followed (it would lead the request past the address check) and refuses
 * the batch.
 */
export class HttpTarget {
  private readonly url: URL;
  private readonly agent: HttpAgent;

  constructor(
    url: string,
    private readonly timeoutMs: number,
    lookup?: LookupFunction,
  ) {
    this.url = new URL(url);
    // One socket: a stream sends one batch at a time, so more would only sit idle.
    const options = { keepAlive: true, maxSockets: 1, ...(lookup ? { lookup } : {}) };
    this.agent = this.url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
  }

  get host(): string {
    return this.url.hostname;
  }

  async post(body: Buffer | string, headers: Record<string, string>): Promise<void> {
    const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    let answer: { status: number; statusText: string; text: string };
    try {
      answer = await new Promise((resolve, reject) => {
        const request = (this.url.protocol === 'https:' ? httpsRequest : httpRequest)(
          this.url,
          { method: 'POST', agent: this.agent, headers: { ...headers, 'Content-Length': String(payload.length) }, signal: AbortSignal.timeout(this.timeoutMs) },
          (response: IncomingMessage) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => {
              if (text.length < ANSWER_KEPT) text += chunk;
            });
            response.on('end', () => resolve({ status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', text }));
            response.on('error', reject);
          },
        );
        request.on('error', reject);
        request.end(payload);
      });
    } catch (error) {
      const failure = error as NodeJS.ErrnoException;
      const why = failure.name === 'AbortError' ? `no answer within ${this.timeoutMs} ms` : (failure.code ?? failure.message);
      throw new TransientError(`request to ${this.url.host} failed: ${why}`, { cause: error });
    }
    judge(answer.status, answer.statusText, answer.text);
  }

  /** Closes the kept connections. */
  close(): void {
    this.agent.destroy();
  }
}
