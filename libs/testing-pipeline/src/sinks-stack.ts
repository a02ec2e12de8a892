import { PassThrough } from 'node:stream';
import { MessagingModule } from '@audit/messaging';
import { PlatformModule } from '@audit/platform';
import { SinksModule, STDOUT_STREAM } from '@audit/sinks';
import { bootModules, connectTestBus, startTestNats, TestReceiver, type TestBus } from '@audit/testing';

/** The secret the stack's webhook sink signs with, for specs that check the signature. */
export const SINKS_WEBHOOK_SECRET = 'webhook-test-secret-0123456789';

/**
 * The deployment-wide sinks, all three on, over a private NATS: Datadog at the receiver's `/dd`, the webhook
 * at its `/hook`, and stdout into a stream the spec reads (the app's e2e test checks the real process stdout).
 */
export interface SinksStack {
  bus: TestBus;
  receiver: TestReceiver;
  /** Everything the stdout sink has written so far. */
  stdoutText(): string;
  close(): Promise<void>;
}

export async function startSinksStack(): Promise<SinksStack> {
  const nats = await startTestNats();
  const bus = await connectTestBus(nats.url);
  const receiver = new TestReceiver();
  await receiver.start();
  const stdout = new PassThrough();
  let written = '';
  stdout.on('data', (chunk: Buffer) => (written += chunk.toString('utf8')));
  const context = await bootModules(
    [PlatformModule, MessagingModule, SinksModule],
    {
      NATS_URL: nats.url,
      LOG_AUDIT_EVENTS: 'true',
      DD_API_KEY: 'dd-test-key',
      DD_LOGS_URL: receiver.url('/dd'),
      DD_HOSTNAME: 'exporter-test-host',
      WEBHOOK_URL: receiver.url('/hook'),
      WEBHOOK_SECRET: SINKS_WEBHOOK_SECRET,
      SINK_FLUSH_INTERVAL: '50ms',
      LOG_LEVEL: 'error',
    },
    [{ provide: STDOUT_STREAM, useValue: stdout }],
  );
  return {
    bus,
    receiver,
    stdoutText: () => written,
    close: async () => {
      await context.close();
      await receiver.stop();
      await bus.close();
      await nats.destroy();
    },
  };
}
