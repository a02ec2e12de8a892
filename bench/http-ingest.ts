/** One POST /v1/events: a batch of one organization's events under that organization's API key. */
export interface HttpBatch {
  key: string;
  events: readonly unknown[];
}

/**
 * POSTs `batches` to ingest's `/v1/events` in order, `concurrency` requests in flight, and resolves once every
 * batch was accepted (202). A 503 (the bus did not ack in time) or a 408 (the request not read in time), both
 * seen on a loaded machine, is sent again with the same ids, as the API invites: the bus and the store keep
 * each id once. Returns how many POSTs were sent again, for the bench to report (a loaded machine).
 */
export async function postBatches(url: string, batches: readonly HttpBatch[], concurrency: number): Promise<{ retried: number }> {
  let next = 0;
  let retried = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) {
        const { key, events } = batches[next++];
        const body = JSON.stringify(events);
        for (let attempt = 1; ; attempt++) {
          const res = await fetch(`${url}/v1/events`, {
            method: 'POST',
            headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
            body,
          });
          if (res.status === 202) {
            await res.arrayBuffer();
            break;
          }
          const text = await res.text();
          if ((res.status !== 503 && res.status !== 408) || attempt >= 20) throw new Error(`POST /v1/events answered ${res.status}: ${text}`);
          retried++;
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
    }),
  );
  return { retried };
}
