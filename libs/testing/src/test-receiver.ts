import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';

/** One request the receiver got, body decoded (un-gzipped when it says so). */
export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  rawBody: Buffer;
  body: string;
  /** What the receiver answered. */
  status: number;
}

/** How the receiver answers a request on a path: a status, decided per request. */
export type Responder = (request: Omit<ReceivedRequest, 'status'>) => number;

/**
 * A local HTTP receiver standing in for Datadog's intake or a webhook endpoint: records every request and
 * answers what the test's responder says. `stop()`/`start()` take it off the network on the same port.
 */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly responders = new Map<string, Responder>();
  private server?: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  url(pathname: string): string {
    return `http://127.0.0.1:${this.port}${pathname}`;
  }

  respond(pathname: string, responder: Responder): void {
    this.responders.set(pathname, responder);
  }

  on(pathname: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === pathname);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks);
    const body = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(rawBody) : rawBody).toString('utf8');
    const request = { path: req.url ?? '/', headers: req.headers, rawBody, body };
    const status = (this.responders.get(request.path) ?? (() => 202))(request);
    this.requests.push({ ...request, status });
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(status < 300 ? '{}' : JSON.stringify({ errors: [`status ${status} from the test receiver`] }));
  }
}
