import type { ServerResponse } from 'node:http';

/**
 * A 200 answer of JSON text (a string, or its UTF-8 bytes), written in one call. Express's `res.send` also hashes the body for an ETag
 * and runs a freshness check: ~0.1 ms on a page of events, several ms on a 1 MB chart series, for
 * nothing here (these answers are not cached by validators). Errors thrown before it still reach the
 * error filter.
 */
export function sendJson(res: ServerResponse, json: string | Buffer): void {
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) });
  res.end(json);
}
