import type { LookupFunction } from 'node:net';
import { HttpTarget, webhookSignature, WEBHOOK_SIGNATURE_HEADER } from '@audit/sinks';
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
 *
 * Sent as the streams send (the sinks' HttpTarget): the connection goes to the address `lookup` checked,
 * and a redirect is an error, not followed. With `fetch` a receiver could answer 307 to an internal address
 * (the platform's own network, a cloud metadata service) and the signed POST went there, past the check of
 * the saved URL; a name re-pointed between that check and the connection (DNS rebinding) went there too.
 */
export async function deliverFiring(url: string, secret: string, firing: AlertFiring, now = new Date(), timeoutMs = 10_000, lookup?: LookupFunction): Promise<void> {
  const body = JSON.stringify(firing);
  const target = new HttpTarget(url, { timeoutMs, ...(lookup ? { lookup } : {}) });
  try {
    await target.post(body, { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: webhookSignature(secret, body, Math.floor(now.getTime() / 1000)) });
  } finally {
    target.close();
  }
}
