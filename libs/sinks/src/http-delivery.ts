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

/** The most of an answer's body kept for the error message. */
const ANSWER_KEPT = 300;

export interface HttpTargetOptions {
  /** Longest one POST may take before it counts as failed (and is retried). */
  timeoutMs: number;
  /** Decides which address each new connection goes to: the streams pin the address their guard checked. */
  lookup?: LookupFunction;
  /** Connections kept to the receiver: as many as requests the caller has in flight at once (default 1). */
  sockets?: number;
}

/**
 * The one HTTP sender of the codebase: a receiver's URL with its own keep-alive connections, for whatever
 * posts to the same place batch after batch (a per-organization stream, a deployment-wide sink): no TCP or
 * TLS handshake per batch, and `lookup` decides which address each new connection goes to. Resolves on 2xx;
 * 408, 429, 5xx, a timeout or a network failure throw {@link TransientError} (retried with backoff); any
 * other status throws {@link DeliveryRejectedError}. A redirect is not followed (it would lead the request
 * past the address check) and refuses the batch.
 */
export class HttpTarget {
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly timeoutMs: number;

  constructor(url: string, options: HttpTargetOptions) {
    this.url = new URL(url);
    this.timeoutMs = options.timeoutMs;
    const agent = { keepAlive: true, maxSockets: options.sockets ?? 1, ...(options.lookup ? { lookup: options.lookup } : {}) };
    this.agent = this.url.protocol === 'https:' ? new HttpsAgent(agent) : new HttpAgent(agent);
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
