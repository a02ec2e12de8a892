import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import type { AuditEvent } from '@audit/contracts';
import { freePort, TestReceiver, waitFor } from '@audit/testing';
import { startStreamsStack, type StreamsStack } from '@audit/testing-pipeline';

jest.setTimeout(60_000);

/**
 * A syslog receiver over TCP or TLS that reads octet-counted frames (RFC 6587 §3.4.1) and keeps each
 * message; `stop()` takes it off the network (dropping its connections), `start()` brings it back on the same port.
 */
class SyslogReceiver {
  readonly messages: string[] = [];
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly tls?: { key: string; cert: string }) {}

  async start(): Promise<void> {
    const onConnection = (socket: Socket): void => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      let buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          const space = buffer.indexOf(0x20);
          if (space < 0) return;
          const length = Number(buffer.subarray(0, space).toString());
          if (buffer.length < space + 1 + length) return;
          this.messages.push(buffer.subarray(space + 1, space + 1 + length).toString('utf8'));
          buffer = buffer.subarray(space + 1 + length);
        }
      });
    };
    this.server = this.tls ? createTlsServer(this.tls, onConnection) : createTcpServer(onConnection);
    await new Promise<void>((resolve) => this.server?.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  ids(): string[] {
    return this.messages.map((m) => /id="([0-9a-f-]+)"/.exec(m)?.[1] ?? '?');
  }
}

describe('streams: each destination against its receiver', () => {
  let stack: StreamsStack;
  let receiver: TestReceiver;
  const unique = (ids: string[]): string[] => [...new Set(ids)];

  beforeAll(async () => {
    stack = await startStreamsStack('audit_streams_destinations');
    receiver = new TestReceiver();
    await receiver.start();
  });

  afterAll(async () => {
    await stack?.close();
    await receiver?.stop();
  });

  it('Splunk HEC: concatenated events with the token, each with the event and its time', async () => {
    await stack.create('splunk-org', { name: 'splunk', destination: { type: 'splunk', url: receiver.url('/services/collector/event'), token: 'hec-token-1234', index: 'audit' } });
    const events = stack.events('splunk-org', 25);
    await stack.publish(events);
    type HecEvent = { time: number; source: string; sourcetype: string; index: string; event: AuditEvent };
    const received = (): HecEvent[] =>
      receiver.on('/services/collector/event').flatMap((r) => r.body.split('\n').map((line) => JSON.parse(line) as HecEvent));
    await waitFor('every event at the collector', () => unique(received().map((e) => e.event.id)).length === 25);
    expect(received().map((e) => e.event.id)).toEqual(events.map((e) => e.id));
    expect(received()[0]).toMatchObject({ time: Date.parse(events[0].createdAt) / 1000, source: 'audit-trail', sourcetype: 'audit-trail:event', index: 'audit', event: events[0] });
    expect(receiver.on('/services/collector/event').every((r) => r.headers.authorization === 'Splunk hec-token-1234')).toBe(true);
  });

  it("Datadog: gzip'd entries with the API key, the event under `audit`", async () => {
    await stack.create('dd-org', { name: 'datadog', destination: { type: 'datadog', url: receiver.url('/api/v2/logs'), apiKey: 'dd-api-key-5678', tags: ['env:test'] } });
    const events = stack.events('dd-org', 25);
    await stack.publish(events);
    type Entry = { ddtags: string; audit: AuditEvent; message: string };
    const received = (): Entry[] => receiver.on('/api/v2/logs').flatMap((r) => JSON.parse(r.body) as Entry[]);
    await waitFor('every entry at the intake', () => unique(received().map((e) => e.audit.id)).length === 25);
    expect(received().map((e) => e.audit.id)).toEqual(events.map((e) => e.id));
    expect(received()[0].audit).toEqual(events[0]);
    expect(received()[0].ddtags).toBe(`organization:dd-org,action_type:${events[0].actionType},env:test`);
    for (const r of receiver.on('/api/v2/logs')) {
      expect(r.headers['dd-api-key']).toBe('dd-api-key-5678');
      expect(r.headers['content-encoding']).toBe('gzip');
    }
  });

  describe('S3', () => {
    let server: S3rver;
    let dir: string;
    let endpoint: string;

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'audit-streams-s3-'));
      const port = await freePort();
      server = new S3rver({ port, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: 'audit-streams', configs: [] }] });
      await server.run();
      endpoint = `http://127.0.0.1:${port}`;
    });

    afterAll(async () => {
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("one gzip'd JSON-lines object per time slice, named by time, holding every event once in order", async () => {
      const stream = await stack.create('s3-org', {
        name: 's3',
        destination: { type: 's3', bucket: 'audit-streams', prefix: 'audit/', endpoint, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', sliceSeconds: 1, maxEvents: 40 },
      });
      const events = stack.events('s3-org', 100);
      await stack.publish(events);
      const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
      try {
        const read = async (): Promise<Array<{ key: string; events: AuditEvent[] }>> => {
          const listed = await client.send(new ListObjectsV2Command({ Bucket: 'audit-streams', Prefix: `audit/s3-org/${stream.id}/` }));
          const objects = [];
          for (const { Key } of listed.Contents ?? []) {
            const body = await (await client.send(new GetObjectCommand({ Bucket: 'audit-streams', Key }))).Body?.transformToByteArray();
            // s3rver serves the stored bytes as they were put (gzip), whatever Content-Encoding says.
            const raw = Buffer.from(body ?? []);
            const text = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
            objects.push({ key: Key ?? '', events: text.trimEnd().split('\n').map((line) => JSON.parse(line) as AuditEvent) });
          }
          return objects.sort((a, b) => a.key.localeCompare(b.key, 'en', { numeric: true }));
        };
        const objects = await waitFor('every event in the bucket', async () => {
          const found = await read();
          return unique(found.flatMap((o) => o.events.map((e) => e.id))).length === 100 ? found : undefined;
        });
        expect(objects.length).toBeGreaterThanOrEqual(3);
        expect(objects.every((o) => o.events.length <= 40)).toBe(true);
        const now = new Date();
        const hour = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}/${String(now.getUTCDate()).padStart(2, '0')}/`;
        for (const o of objects) expect(o.key).toMatch(new RegExp(`^audit/s3-org/${stream.id}/${hour}\\d{2}/\\d{8}T\\d{6}Z-\\d+-\\d+\\.jsonl\\.gz$`));
        expect(objects.flatMap((o) => o.events.map((e) => e.id))).toEqual(events.map((e) => e.id));
        // Its events are held while a slice fills: its ack wait is the slice plus CONSUMER_ACK_WAIT (3 s here),
        // so they are kept alive with a working() every third of that rather than every second.
        const consumer = await stack.bus.jsm.consumers.info('AUDIT_EVENTS', `stream-${stream.id}`);
        expect(consumer.config.ack_wait).toBe(4_000 * 1e6);
      } finally {
        client.destroy();
      }
    });
  });

  it('syslog over TCP: RFC 5424 messages, octet-counted, with the event id; through a receiver outage nothing is lost', async () => {
    const syslog = new SyslogReceiver();
    await syslog.start();
    await stack.create('syslog-org', { name: 'syslog-tcp', destination: { type: 'syslog', host: '127.0.0.1', port: syslog.port, tls: false } });
    const first = stack.events('syslog-org', 20);
    await stack.publish(first);
    await waitFor('the first events at the receiver', () => unique(syslog.ids()).length === 20);
    expect(syslog.messages[0]).toMatch(new RegExp(`^<110>1 ${first[0].createdAt.replace(/[.]/g, '\\.')} \\S+ audit-trail - ${first[0].actionType} \\[audit@32473 id="${first[0].id}" org="syslog-org"\\] \\{`));
    expect(JSON.parse(syslog.messages[0].slice(syslog.messages[0].indexOf('] ') + 2))).toEqual(first[0]);
    await syslog.stop();
    const second = stack.events('syslog-org', 20);
    await stack.publish(second);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await syslog.start();
    await waitFor('every event after the outage', () => unique(syslog.ids()).length === 40, 40_000);
    expect(unique(syslog.ids())).toEqual([...first, ...second].map((e) => e.id));
    await syslog.stop();
  });

  it("syslog over TLS, trusting the receiver's own CA", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'audit-syslog-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=syslog.test', '-addext', 'subjectAltName=DNS:syslog.test', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
      const cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
      const syslog = new SyslogReceiver({ key: readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert });
      await syslog.start();
      await stack.create('tls-org', { name: 'syslog-tls', destination: { type: 'syslog', host: '127.0.0.1', port: syslog.port, tls: true, caCertificate: cert, serverName: 'syslog.test' } });
      const events = stack.events('tls-org', 15);
      await stack.publish(events);
      await waitFor('every event over TLS', () => unique(syslog.ids()).length === 15);
      expect(unique(syslog.ids())).toEqual(events.map((e) => e.id));
      await syslog.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
