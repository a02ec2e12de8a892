import { createHmac } from 'node:crypto';
import { checkpointsSubject, DLQ_HEADERS, STREAMS } from '@audit/messaging';
import { readStream, waitFor, waitForConsumerIdle, type TestBus, type TestReceiver } from '@audit/testing';
import { SINKS_WEBHOOK_SECRET as WEBHOOK_SECRET, startSinksStack, type SinksStack } from '@audit/testing-pipeline';
import { generateNoteKey, openCheckpoint, parseSignerKey, parseVerifierKey, signCheckpoint } from '@audit/transparency';
import type { ShippedCheckpoint } from './checkpoint.sink';

/**
 * The sealer's signed checkpoints leave the machine through every sink that is on: the note arrives
 * byte for byte (it still verifies with the sealer's public key), with its organization, size and root.
 */
describe('sinks: the signed checkpoints of AUDIT_CHECKPOINTS', () => {
  let stack: SinksStack;
  let bus: TestBus;
  let receiver: TestReceiver;
  const key = generateNoteKey('audit.test');

  beforeAll(async () => {
    stack = await startSinksStack();
    ({ bus, receiver } = stack);
  });

  afterAll(async () => {
    await stack?.close();
  });

  const note = (org: string, size: number): string =>
    signCheckpoint({ origin: `audit-trail/log/${org}`, size, rootHash: Buffer.alloc(32, size), extensions: [] }, [parseSignerKey(key.signerKey)]);

  it('ships each checkpoint to stdout, Datadog and the webhook, its note intact', async () => {
    const sent = [note('acme', 3), note('acme', 9), note('globex', 1)];
    await bus.js.publish(checkpointsSubject('acme'), sent[0], { msgID: 'acme:3' });
    await bus.js.publish(checkpointsSubject('acme'), sent[1], { msgID: 'acme:9' });
    await bus.js.publish(checkpointsSubject('globex'), sent[2], { msgID: 'globex:1' });
    const expected: ShippedCheckpoint[] = [
      { organizationId: 'acme', treeSize: 3, rootHash: Buffer.alloc(32, 3).toString('base64'), note: sent[0] },
      { organizationId: 'acme', treeSize: 9, rootHash: Buffer.alloc(32, 9).toString('base64'), note: sent[1] },
      { organizationId: 'globex', treeSize: 1, rootHash: Buffer.alloc(32, 1).toString('base64'), note: sent[2] },
    ];

    const lines = await waitFor('3 checkpoint lines on stdout', () => {
      const parsed = stack.stdoutText().split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as { checkpoint: ShippedCheckpoint });
      return parsed.length >= 3 ? parsed : undefined;
    });
    expect(lines.map((l) => l.checkpoint)).toEqual(expected);
    for (const { checkpoint } of lines) expect(openCheckpoint(checkpoint.note, [parseVerifierKey(key.verifierKey)]).checkpoint.size).toBe(checkpoint.treeSize);

    const hooks = await waitFor('the webhook', () => {
      const got = receiver.on('/hook').flatMap((r) => (JSON.parse(r.body) as { checkpoints: ShippedCheckpoint[] }).checkpoints);
      return got.length >= 3 ? got : undefined;
    });
    expect(hooks).toEqual(expected);
    const hook = receiver.on('/hook')[0];
    const [t, v1] = String(hook.headers['x-audit-signature']).split(',').map((p) => p.split('=')[1]);
    expect(v1).toBe(createHmac('sha256', WEBHOOK_SECRET).update(`${t}.${hook.body}`).digest('hex'));

    const entries = await waitFor('Datadog', () => {
      const got = receiver.on('/dd').flatMap((r) => JSON.parse(r.body) as Array<{ ddtags: string; hostname: string; checkpoint: ShippedCheckpoint }>);
      return got.length >= 3 ? got : undefined;
    });
    expect(entries.map((e) => e.checkpoint)).toEqual(expected);
    expect(entries[0]).toMatchObject({ ddtags: 'organization:acme,kind:checkpoint', hostname: 'exporter-test-host' });
    expect(receiver.on('/dd')[0].headers['dd-api-key']).toBe('dd-test-key');
  });

  it('dead-letters what is not a signed checkpoint, with the reason, and goes on', async () => {
    await bus.js.publish(checkpointsSubject('acme'), 'not a note', { msgID: 'bad-1' });
    await bus.js.publish(checkpointsSubject('acme'), note('acme', 12), { msgID: 'acme:12' });
    await waitForConsumerIdle(bus.jsm, STREAMS.checkpoints, 'sink-checkpoints');
    const dead = (await readStream(bus.jsm, STREAMS.dlq)).filter((m) => m.headers[DLQ_HEADERS.consumer] === 'sink-checkpoints');
    expect(dead.map((m) => [m.data, m.headers[DLQ_HEADERS.reason]])).toEqual([['not a note', expect.stringMatching(/not a signed checkpoint/)]]);
    await waitFor('the next checkpoint on stdout', () => stack.stdoutText().includes('"treeSize":12'));
  });
});
