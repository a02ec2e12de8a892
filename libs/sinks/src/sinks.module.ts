import { Module } from '@nestjs/common';
import { MessagingModule } from '@audit/messaging';
import { HealthModule } from '@audit/platform';
import { CheckpointSink } from './checkpoint.sink';
import { readSinksConfig, SINKS_CONFIG } from './config';
import { DatadogSink } from './datadog.sink';
import { STDOUT_STREAM, StdoutSink } from './stdout.sink';
import { WebhookSink } from './webhook.sink';

/**
 * The stdout, Datadog and webhook sinks, each its own durable consumer of AUDIT_EVENTS (`sink-stdout`,
 * `sink-datadog`, `sink-webhook`) and each enabled only by its variables; and `sink-checkpoints`, which
 * ships the sealer's signed checkpoints (AUDIT_CHECKPOINTS) to every sink that is on.
 */
@Module({
  imports: [HealthModule, MessagingModule],
  providers: [{ provide: SINKS_CONFIG, useFactory: () => readSinksConfig() }, { provide: STDOUT_STREAM, useValue: process.stdout }, StdoutSink, DatadogSink, WebhookSink, CheckpointSink],
  exports: [StdoutSink, DatadogSink, WebhookSink, CheckpointSink],
})
export class SinksModule {}
