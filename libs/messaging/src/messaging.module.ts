import { Module } from '@nestjs/common';
import { HealthModule } from '@audit/platform';
import { MESSAGING_CONFIG, readMessagingConfig } from './config';
import { JetStreamConnection } from './jetstream.connection';
import { ActivityRecorder } from './activity-recorder';
import { EventPublisher } from './publisher';

/** The bus for the whole process: one connection, streams provisioned at start, an event publisher, the recorder of the platform's own activity. */
@Module({
  imports: [HealthModule],
  providers: [{ provide: MESSAGING_CONFIG, useFactory: () => readMessagingConfig() }, JetStreamConnection, EventPublisher, ActivityRecorder],
  exports: [MESSAGING_CONFIG, JetStreamConnection, EventPublisher, ActivityRecorder],
})
export class MessagingModule {}
