import type { FastifyInstance } from 'fastify';
import { histogram } from './metrics';

/**
 * `audit_http_request_duration_seconds{method, route, status}`: every answered request, timed by Fastify
 * from its arrival to its last byte handed to the socket. `route` is the route's pattern
 * (`/v1/events/:id`), never the path, so ids and filters cannot multiply the series; a request no route
 * matched counts as `unmatched`. What the query and ingest replicas' latency SLOs are read from.
 */
export function observeRequests(fastify: FastifyInstance): void {
  const seconds = histogram(
    'audit_http_request_duration_seconds',
    'HTTP requests answered, by method, route pattern and status',
    ['method', 'route', 'status'],
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  fastify.addHook('onResponse', (req, reply, done) => {
    seconds.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
}
