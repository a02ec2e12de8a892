import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';

/** How a closing HTTP server treats the connections it still has. */
export interface HttpDrainOptions {
  /**
   * After this long, a connection whose request has not fully arrived (headers or body still coming) is
   * cut; until then such a client may still finish sending (and be answered).
   */
  cutAfterMs: number;
  /** How often idle connections (their last answer sent) are closed while the server closes. */
  sweepEveryMs?: number;
}

/** Starts the drain; call right before `server.close()`. */
export type BeginDrain = () => void;

/**
 * Lets a closing HTTP server finish the answers it is giving without waiting on clients that never finish
 * asking. `server.close()` closes the idle keep-alive connections once and stops Node's connections checker,
 * the one that answers 408 and closes a connection whose request has not arrived within requestTimeout: a
 * client that sent headers and half a body then holds `close()`, and the shutdown, until SHUTDOWN_TIMEOUT.
 *
 * While closing, connections that became idle (their answer sent) are closed every `sweepEveryMs`; after
 * `cutAfterMs`, so is every connection whose request has not fully arrived. A request that has arrived is
 * being answered and is never cut: an accepted event gets its 202.
 */
export function drainOnClose(server: Server, options: HttpDrainOptions): BeginDrain {
  const connections = new Set<Socket>();
  // The request each connection is answering (HTTP/1.1 answers one at a time per connection).
  const answering = new WeakMap<Socket, IncomingMessage>();
  server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  server.on('request', (request: IncomingMessage, response) => {
    const socket = request.socket;
    answering.set(socket, request);
    response.once('close', () => {
      if (answering.get(socket) === request) answering.delete(socket);
    });
  });
  // `complete`: Node's parser saw the whole message (headers and body).
  const unfinished = (socket: Socket): boolean => answering.get(socket)?.complete !== true;

  let begun = false;
  return () => {
    if (begun) return;
    begun = true;
    const startedAt = Date.now();
    const sweep = setInterval(() => {
      server.closeIdleConnections();
      if (Date.now() - startedAt < options.cutAfterMs) return;
      for (const socket of connections) if (unfinished(socket)) socket.destroy();
    }, options.sweepEveryMs ?? 250);
    // The server's own connections keep the process alive while it closes; the sweep need not.
    sweep.unref();
    server.once('close', () => clearInterval(sweep));
  };
}
