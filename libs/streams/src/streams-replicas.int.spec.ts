import type { INestApplication } from '@nestjs/common';
import type { AuditEvent } from '@audit/contracts';
import { AuthModule } from '@audit/auth';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { startHttpApp, TestReceiver, waitFor } from '@audit/testing';
import { startStreamsStack, type StreamsStack } from '@audit/testing-pipeline';
import { StreamsModule } from './streams.module';

jest.setTimeout(60_000);

/**
 * Two replicas of the streams service: one delivers each stream at a time (it holds the stream's lease), so a
 * stream's order holds; they divide the streams evenly, and a replica that stops hands its streams to the other.
 */
describe('streams: two replicas', () => {
  let stack: StreamsStack;
  let second: INestApplication;
  let receiver: TestReceiver;

  beforeAll(async () => {
    stack = await startStreamsStack('audit_streams_replicas');
    // The same environment (database, bus user, settings): a second replica of the service.
    ({ app: second } = await startHttpApp([PlatformModule, MessagingModule, PersistenceModule, AuthModule, StreamsModule]));
    receiver = new TestReceiver();
    await receiver.start();
  });

  afterAll(async () => {
    await second?.close().catch(() => undefined);
    await stack?.close();
    await receiver?.stop();
  });

  it('share a stream without breaking its order, with a receiver answering 503 now and then', async () => {
    let answered = 0;
    receiver.respond('/hook', () => (answered++ % 4 === 3 ? 503 : 200));
    await stack.create('replicated', { name: 'hook', destination: { type: 'webhook', url: receiver.url('/hook'), secrets: ['replica-test-secret-0123'] } });
    const events = stack.events('replicated', 1500);
    for (let i = 0; i < events.length; i += 100) {
      await stack.publish(events.slice(i, i + 100));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const accepted = (): AuditEvent[] => receiver.on('/hook').filter((r) => r.status < 300).flatMap((r) => (JSON.parse(r.body) as { events: AuditEvent[] }).events);
    await waitFor('every event delivered', () => new Set(accepted().map((e) => e.id)).size === events.length, 40_000);
    const firstSeen = [...new Set(accepted().map((e) => e.id))];
    expect(firstSeen).toEqual(events.map((e) => e.id));
  });

  it('divide the streams between them, and one that stops hands its streams over with nothing lost or reordered', async () => {
    const orgs = ['r0', 'r1', 'r2', 'r3'];
    for (const org of orgs) await stack.create(org, { name: 'hook', destination: { type: 'webhook', url: receiver.url(`/${org}`), secrets: ['replica-test-secret-0123'] } });
    // Five streams with the first test's: three for one replica, two for the other.
    await waitFor('both replicas holding some of the four streams', async () => {
      const rows = await stack.db.query<{ owner: string; n: string }>(
        `SELECT "leaseOwner" AS owner, count(*) AS n FROM streams WHERE "organizationId" = ANY($1) AND "leaseExpiresAt" > now() GROUP BY 1`,
        [orgs],
      );
      return rows.length === 2 && rows.reduce((n, r) => n + Number(r.n), 0) === 4;
    });
    const events = new Map(orgs.map((org) => [org, stack.events(org, 600)]));
    for (let i = 0; i < 600; i += 100) {
      for (const org of orgs) await stack.publish((events.get(org) ?? []).slice(i, i + 100));
      if (i === 200) await second.close();
    }
    for (const org of orgs) {
      const firstSeen = (): string[] => [...new Set(receiver.on(`/${org}`).filter((r) => r.status < 300).flatMap((r) => (JSON.parse(r.body) as { events: AuditEvent[] }).events.map((e) => e.id)))];
      await waitFor(`every event of ${org}`, () => firstSeen().length === 600, 40_000);
      expect(firstSeen()).toEqual((events.get(org) ?? []).map((e) => e.id));
    }
  });
});
