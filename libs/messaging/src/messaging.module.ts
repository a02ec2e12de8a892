import { Global, Module } from '@nestjs/common';
import { MESSAGING_CONFIG, readMessagingConfig } from './config';
import { JetStreamConnection } from './jetstream.connection';
import { EventPublisher } from './publisher';

/** The bus for the whole process: one connection, streams provisioned at start, an event publisher. */
@Global()
@Module({
  providers: [{ provide: MESSAGING_CONFIG, useFactory: () => readMessagingConfig() }, JetStreamConnection, EventPublisher],
  exports: [MESSAGING_CONFIG, JetStreamConnection, EventPublisher],
})
export class MessagingModule {}
