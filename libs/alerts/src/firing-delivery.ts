import { webhookSignature, WEBHOOK_SIGNATURE_HEADER } from '@audit/sinks';
import type { GroupCount } from './conditions';

/** What a firing tells its webhook: which alert, over which window, and each group past the bound. */
export interface AlertFiring {
  /** Stable for one alert and window: a receiver that sees it twice (a retried delivery) can tell. */
  id: string;
  organizationId: string;
  alert: { id: string; name: string; search: string };
  window: { from: string; to: string };
  groups: GroupCount[];
  firedAt: string;
}

/**
 * POSTs the firing as JSON signed as the webhook sink signs its batches (`X-Audit-Signature: t=…,v1=…`,
 * HMAC-SHA256 of "<t>.<raw body>" with the alert's secret). Throws unless the receiver answers 2xx.
 */
export async function deliverFiring(url: string, secret: string, firing: AlertFiring, now = new Date(), timeoutMs = 10_000): Promise<void> {
  const body = JSON.stringify(firing);
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(secret, body, Math.floor(now.getTime() / 1000)) },
    body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.status < 200 || res.status >= 300) throw new Error(`the alert webhook answered ${res.status}`);
}
