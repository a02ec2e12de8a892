import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { drainOnClose } from './http-drain';

/**
 * drainOnClose on a real node:http server with the service's own limits: a client that sent headers and
 * half a body, one whose request is being answered (slowly), and an idle keep-alive connection.
 */
describe('drainOnClose', () => {
  const REQUEST_TIMEOUT_MS = 30_000;
  let server: Server;
  let port: number;
  let answering: Promise<void>;
  let startedAnswering: () => void;

  // POST /slow reads its body, then answers 1.5 s later: longer than the drain's cut below.
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      startedAnswering();
      setTimeout(() => res.end(`answered ${Buffer.concat(chunks).length} bytes`), 1_500);
    });
  };

  beforeEach(async () => {
    answering = new Promise((resolve) => (startedAnswering = resolve));
    server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1_000, keepAliveTimeout: 60_000 }, handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterEach(() => {
    server.closeAllConnections();
    server.close();
  });

  const HALF_BODY = '{"half":';
  /** Headers and the first bytes of the 100 the body announces; resolves once the server has the headers. */
  const halfSentRequest = async (): Promise<{ socket: Socket; closed: Promise<void> }> => {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined); // a reset is one of the ways the cut shows
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const seen = new Promise<void>((resolve) => server.once('request', () => resolve()));
    socket.write('POST /slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n' + HALF_BODY);
    await seen;
    return { socket, closed };
  };

  /** A complete POST on a keep-alive connection: its answer's status and body. */
  const post = (body: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/slow', headers: { 'content-length': Buffer.byteLength(body), connection: 'keep-alive' } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });

  const closeWithin = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      server.close(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });

  it('is needed: without it, server.close() waits on a half-sent request long past any sweep', async () => {
    await halfSentRequest();
    expect(await closeWithin(3_000)).toBe(false);
  });

  it('cuts a half-sent request after cutAfterMs, finishes the answer in progress, then the server closes', async () => {
    const begin = drainOnClose(server, { cutAfterMs: 300, sweepEveryMs: 50 });
    const half = await halfSentRequest();
    const answer = post('{"complete":true}');
    await answering;
    let answered = false;
    void answer.then(() => (answered = true));
    begin();
    const closed = closeWithin(REQUEST_TIMEOUT_MS);
    await half.closed;
    // Cut while the other request was still being answered (its answer takes 1.5 s)...
    expect(answered).toBe(false);
    // ...which was not cut: it gets its answer, after which its idle connection is closed too.
    expect(await answer).toEqual({ status: 200, body: 'answered 17 bytes' });
    expect(await closed).toBe(true);
  });

  it('waits cutAfterMs before cutting: a client that finishes sending in time is answered', async () => {
    const begin = drainOnClose(server, { cutAfterMs: 5_000, sweepEveryMs: 50 });
    const half = await halfSentRequest();
    let text = '';
    half.socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    begin();
    const closed = closeWithin(REQUEST_TIMEOUT_MS);
    await new Promise((resolve) => setTimeout(resolve, 500));
    half.socket.write(`"${'x'.repeat(100 - HALF_BODY.length - 3)}"}`);
    await half.closed;
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*answered 100 bytes$/);
    expect(await closed).toBe(true);
  });
});
