import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** How many connections are open through the proxy. */
  connections(): number;
  /**
   * A network partition: from now on every byte in either direction is discarded (not delayed), while the
   * connections stay open. Unlike freezing a process, nothing sent during the partition arrives later.
   */
  partition(): void;
  heal(): void;
  /**
   * The server stopped: every open connection is reset and new ones are refused (ECONNREFUSED) until
   * `restore`, as when Postgres is shut down, while the real server keeps serving everyone else.
   */
  refuse(): Promise<void>;
  /** Accepts connections again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP forwarder to `127.0.0.1:targetPort`, so a test can cut one process off from a server while the
 * server and every other client carry on.
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let partitioned = false;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    open.add(client);
    const closeBoth = (): void => {
      open.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (!partitioned) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!partitioned) client.write(chunk);
    });
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
  });
  const listen = (port: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no port');
  const port = address.port;
  return {
    port,
    connections: () => open.size,
    partition: () => {
      partitioned = true;
    },
    heal: () => {
      partitioned = false;
    },
    refuse: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of open) socket.resetAndDestroy();
      }),
    restore: () => listen(port),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
