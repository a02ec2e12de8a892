import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InternalAddressError, pinnedLookup } from '@audit/streams';
import { deliverFiring, type AlertFiring } from './firing-delivery';

const FIRING: AlertFiring = {
  id: '0193f1c2-7a4e-7c1d-9b2a-5e8f0a1b2c3d',
  organizationId: 'acme',
  alert: { id: 'a1', name: 'bulk-export', search: 'action:PAGE_EXPORT' },
  window: { from: '2026-11-24T10:30:00.000Z', to: '2026-11-24T11:30:00.000Z' },
  groups: [{ userId: 'u-mallory', count: 6 }],
  firedAt: '2026-11-24T11:30:00.000Z',
};

/** A local HTTP server answering every request with `answer`, keeping what it was sent. */
async function server(answer: (req: IncomingMessage) => { status: number; headers?: Record<string, string> }): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const http: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      const { status, headers } = answer(req);
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, hits, close: () => new Promise((resolve) => http.close(() => resolve())) };
}

describe('deliverFiring', () => {
  it('does not follow a redirect: the firing reaches no address but the one the webhook was checked for', async () => {
    // Stands for an internal service (a cloud metadata endpoint): the receiver points its answer there.
    const internal = await server(() => ({ status: 200 }));
    const receiver = await server(() => ({ status: 307, headers: { location: `${internal.url}/latest/meta-data` } }));
    try {
      await expect(deliverFiring(`${receiver.url}/hook`, 'alert-secret', FIRING)).rejects.toThrow('307');
      expect(receiver.hits).toEqual(['POST /hook']);
      expect(internal.hits).toEqual([]);
    } finally {
      await receiver.close();
      await internal.close();
    }
  });

  it('connects to the address the lookup checked, and to none when it resolves to an internal one', async () => {
    const receiver = await server(() => ({ status: 204 }));
    try {
      const port = new URL(receiver.url).port;
      // A name only this resolver knows: the connection can only have used the checking lookup.
      const resolve = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
      await deliverFiring(`http://hooks.test:${port}/hook`, 'alert-secret', FIRING, new Date(), 5_000, pinnedLookup('webhook.url', true, resolve));
      expect(receiver.hits).toEqual(['POST /hook']);
      // The same name once private networks are not allowed (or re-pointed since the alert was saved): refused at connect.
      const refused = deliverFiring(`http://hooks.test:${port}/hook`, 'alert-secret', FIRING, new Date(), 5_000, pinnedLookup('webhook.url', false, resolve));
      await expect(refused).rejects.toMatchObject({ cause: expect.any(InternalAddressError) as unknown });
      expect(receiver.hits).toEqual(['POST /hook']);
    } finally {
      await receiver.close();
    }
  });
});
