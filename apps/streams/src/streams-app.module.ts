import { Module } from '@nestjs/common';
import { AuthModule } from '@audit/auth';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { StreamsModule } from '@audit/streams';

/** The streams service: `/v1/streams` and the delivery of every organization's streams. */
@Module({ imports: [PlatformModule, MessagingModule, PersistenceModule, AuthModule, StreamsModule] })
export class StreamsAppModule {}
