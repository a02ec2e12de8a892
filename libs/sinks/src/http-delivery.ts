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
  if (response.ok) return;
  const detail = `${response.status} ${response.statusText}${text ? `: ${text.slice(0, 300)}` : ''}`;
  if (response.status === 408 || response.status === 429 || response.status >= 500) {
    throw new TransientError(`receiver answered ${detail}`);
  }
  throw new DeliveryRejectedError(`receiver refused the batch: ${detail}`, response.status);
}
