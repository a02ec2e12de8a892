import { Module } from '@nestjs/common';
import { MessagingModule } from '@audit/messaging';
import { HealthModule } from '@audit/platform';
import { readSinksConfig, SINKS_CONFIG } from './config';
import { DatadogSink } from './datadog.sink';
import { STDOUT_STREAM, StdoutSink } from './stdout.sink';
import { WebhookSink } from './webhook.sink';

/**
 * The stdout, Datadog and webhook sinks, each its own durable consumer of AUDIT_EVENTS (`sink-stdout`,
 * `sink-datadog`, `sink-webhook`) and each enabled only by its variables.
 */
@Module({
  imports: [HealthModule, MessagingModule],
  providers: [{ provide: SINKS_CONFIG, useFactory: () => readSinksConfig() }, { provide: STDOUT_STREAM, useValue: process.stdout }, StdoutSink, DatadogSink, WebhookSink],
  exports: [StdoutSink, DatadogSink, WebhookSink],
})
export class SinksModule {}
