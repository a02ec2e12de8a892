/**
 * The floor of bench:query: the events API's page with nothing around it. A bare node:http server that
 * reads the same parameters, runs the same repository call (pageSql on a pg pool) and writes the same
 * JSON body as `GET /v1/events` — no Nest, no Fastify, no token check, no PAGE_VIEW. What it costs over
 * the plain SQL is what one HTTP hop to a Node process costs on this machine, whatever the framework.
 *
 * Started by the benchmark as its own process (DATABASE_URL, BENCH_ORG: the organization it reads); prints the port it listens on.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HealthRegistry } from '@audit/platform';
import { Database, readPersistenceConfig } from '@audit/persistence';
import { EventsReadRepository, pageBody, readPageRequest } from '@audit/query';

const org = process.env.BENCH_ORG ?? '';
const db = new Database(readPersistenceConfig(), new HealthRegistry());
const events = new EventsReadRepository(db);

/** The body `GET /v1/events` would answer for this query string. */
async function page(url: string): Promise<string> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URL(url, 'http://floor').searchParams) {
    const seen = query[key];
    query[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  const { filter, limit, after } = readPageRequest(query);
  return JSON.stringify(pageBody(await events.page(org, filter, limit, after)));
}

const server = createServer((req, res) => {
  page(req.url ?? '/').then(
    (body) => res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) }).end(body),
    (error: unknown) => res.writeHead(500).end(String(error)),
  );
});
// The benchmark reads the port from the first line.
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
