import { Module } from '@nestjs/common';
import { readSinksConfig, SINKS_CONFIG } from './config';
import { DatadogSink } from './datadog.sink';
import { StdoutSink } from './stdout.sink';
import { WebhookSink } from './webhook.sink';

/**
 * The stdout, Datadog and webhook sinks, each its own durable consumer of AUDIT_EVENTS (`sink-stdout`,
 * `sink-datadog`, `sink-webhook`) and each enabled only by its variables. Needs MessagingModule.
 */
@Module({
  providers: [{ provide: SINKS_CONFIG, useFactory: () => readSinksConfig() }, StdoutSink, DatadogSink, WebhookSink],
  exports: [StdoutSink, DatadogSink, WebhookSink],
})
export class SinksModule {}
