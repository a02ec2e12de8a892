import { mkdtempSync, rmSync } from 'node:fs';
import type { LookupAddress } from 'node:dns';
import { createServer as createTcpServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { uuidv7, type AuditEvent, type Destination } from '@audit/contracts';
import { TransientError } from '@audit/messaging';
import { formatEvent } from '@audit/stream-formats';
import { freePort, TestReceiver } from '@audit/testing';
import { InternalAddressError, type Resolver } from '../network-guard';
import { createSender, type OutgoingRecord } from './index';

/**
 * DNS rebinding: a destination's name is checked when the stream is saved, and could then be re-pointed at
 * an internal address before the sender connects. The senders' sockets resolve through the network guard, so
 * they connect only to an address the guard has just passed. The names here resolve through a resolver the
 * test controls (a DNS server answering what an attacker's zone would), or through the system's `localhost`.
 */
/** The rebound name; s3rver takes a request's host name for its bucket (virtual-hosted style), so the bucket has it too. */
const VHOST = 'hooks.customer.example';

describe('a destination connects only to the address it checked', () => {
  let receiver: TestReceiver;
  let syslog: Server;
  let syslogPort = 0;
  let syslogBytes = 0;
  let s3: S3rver;
  let s3dir: string;
  let s3port = 0;

  beforeAll(async () => {
    receiver = new TestReceiver();
    await receiver.start();
    syslog = createTcpServer((socket) => socket.on('data', (chunk: Buffer) => (syslogBytes += chunk.length)));
    await new Promise<void>((resolve) => syslog.listen(0, '127.0.0.1', () => resolve()));
    syslogPort = (syslog.address() as { port: number }).port;
    s3dir = mkdtempSync(path.join(tmpdir(), 'audit-pinned-s3-'));
    s3port = await freePort();
    s3 = new S3rver({ port: s3port, address: '127.0.0.1', silent: true, directory: s3dir, configureBuckets: [{ name: 'pinned', configs: [] }, { name: VHOST, configs: [] }] });
    await s3.run();
  });

  afterAll(async () => {
    await receiver?.stop();
    await new Promise<void>((resolve) => syslog?.close(() => resolve()));
    await s3?.close();
    rmSync(s3dir, { recursive: true, force: true });
  });

  const now = new Date();
  const event: AuditEvent = {
    schemaVersion: 1,
    id: uuidv7(now),
    organizationId: 'pinned-org',
    actionType: 'LOGIN',
    userId: 'u-1',
    user: { email: 'u-1@example.com', userName: 'U 1' },
    ipAddress: null,
    responseTimeMs: null,
    pageName: null,
    queryName: null,
    resourceName: null,
    metadata: {},
    createdAt: now.toISOString(),
    receivedAt: now.toISOString(),
  } as AuditEvent;
  const chunk: OutgoingRecord[] = [{ event, record: formatEvent('json', event), seq: 1, storedAt: now }];

  /** A zone whose every name answers the loopback address: what a rebound name looks like to the sender. */
  const rebound: Resolver = (): Promise<LookupAddress[]> => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);

  const s3objects = async (): Promise<number> => {
    const client = new S3Client({ region: 'us-east-1', endpoint: `http://127.0.0.1:${s3port}`, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    try {
      return (await client.send(new ListObjectsV2Command({ Bucket: VHOST }))).KeyCount ?? 0;
    } finally {
      client.destroy();
    }
  };

  const cases: Array<{ name: string; destination: (host: string) => Destination; field: string; received: () => Promise<number> | number }> = [
    { name: 'webhook', destination: (host) => ({ type: 'webhook', url: `http://${host}:${receiver.port}/hook` }), field: 'destination.url', received: () => receiver.on('/hook').length },
    {
      name: 'splunk',
      destination: (host) => ({ type: 'splunk', url: `http://${host}:${receiver.port}/splunk`, sourcetype: 'audit' }),
      field: 'destination.url',
      received: () => receiver.on('/splunk').length,
    },
    {
      name: 'datadog',
      destination: (host) => ({ type: 'datadog', site: 'datadoghq.com', url: `http://${host}:${receiver.port}/datadog`, tags: [] }),
      field: 'destination.url',
      received: () => receiver.on('/datadog').length,
    },
    { name: 'syslog', destination: (host) => ({ type: 'syslog', host, port: syslogPort, tls: false }), field: 'destination.host', received: () => syslogBytes },
    {
      name: 's3',
      destination: (host) => ({
        type: 's3',
        bucket: VHOST,
        prefix: `${host}/`,
        region: 'us-east-1',
        endpoint: `http://${host}:${s3port}`,
        forcePathStyle: true,
        accessKeyId: 'S3RVER',
        sliceSeconds: 60,
        maxEvents: 10,
      }),
      field: 'destination.endpoint',
      received: () => s3objects(),
    },
  ];
  const secrets = { secrets: ['pinned-secret-0123456789'], apiKey: 'dd-key', token: 'hec-token', secretAccessKey: 'S3RVER' };

  /** The guard's refusal: thrown as is, or as the cause of the sender's retryable failure. */
  const internalRefusal = (error: unknown): InternalAddressError | undefined => {
    if (error instanceof InternalAddressError) return error;
    const cause = error instanceof TransientError ? error.cause : undefined;
    return cause instanceof InternalAddressError ? cause : undefined;
  };

  const refusal = async (destination: Destination, resolve?: Resolver): Promise<unknown> => {
    const sender = createSender({ id: 'pinned-stream', organizationId: 'pinned-org', destination }, secrets, { timeoutMs: 5_000, allowPrivateNetworks: false, resolve });
    try {
      await sender.send(chunk);
      return undefined;
    } catch (error) {
      return error;
    } finally {
      await sender.close();
    }
  };

  describe.each(cases)('$name', ({ destination, field, received }) => {
    it('refuses to connect when the name resolves to a private address (the system resolver: localhost), and sends nothing', async () => {
      const before = await received();
      const error = await refusal(destination('localhost'));
      expect(error).toBeInstanceOf(Error);
      expect(internalRefusal(error)?.field).toBe(field);
      expect(await received()).toBe(before);
    });

    it('refuses a name re-pointed at a private address after it was checked, and sends nothing', async () => {
      const before = await received();
      expect(internalRefusal(await refusal(destination('hooks.customer.example'), rebound))?.field).toBe(field);
      expect(await received()).toBe(before);
    });

    it('refuses an internal IP literal (no lookup happens for one)', async () => {
      const before = await received();
      expect(internalRefusal(await refusal(destination('127.0.0.1')))?.field).toBe(field);
      expect(await received()).toBe(before);
    });

    it('connects to exactly the address the guard resolved, when private networks are allowed', async () => {
      const before = await received();
      // The system cannot resolve this name: only the checking lookup knows it, so a delivery proves the socket used it.
      const sender = createSender({ id: 'pinned-stream', organizationId: 'pinned-org', destination: destination('hooks.customer.example') }, secrets, {
        timeoutMs: 5_000,
        allowPrivateNetworks: true,
        resolve: rebound,
      });
      try {
        await sender.send(chunk);
      } finally {
        await sender.close();
      }
      // Syslog counts as delivered once the kernel has the bytes; the receiver reads them a moment later.
      for (let i = 0; i < 50 && (await received()) === before; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await received()).toBeGreaterThan(before);
    });
  });
});
