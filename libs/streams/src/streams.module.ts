import { Module } from '@nestjs/common';
import { AUTH_CONFIG, AuthModule, type AuthConfig } from '@audit/auth';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { HealthModule } from '@audit/platform';
import { readStreamsConfig, STREAMS_CONFIG, type StreamsConfig } from './config';
import { SecretBox, secretKeyOf } from './secret-box';
import { StreamChangeRecorder } from './stream-changes';
import { StreamLagReader } from './stream-lag';
import { StreamsCatalog } from './streams-catalog.service';
import { StreamsController } from './streams.controller';
import { StreamsRepository } from './streams.repository';
import { StreamsRunner } from './streams-runner.service';
import { StreamsService } from './streams.service';

/** Stream definitions without the bus: configuration, the sealed secrets, the store, the catalog (what the CLI uses). */
@Module({
  imports: [PersistenceModule, AuthModule],
  providers: [
    { provide: STREAMS_CONFIG, useFactory: () => readStreamsConfig() },
    { provide: SecretBox, useFactory: (config: StreamsConfig, auth: AuthConfig) => new SecretBox(secretKeyOf(config.secretKey, auth.jwtSecret)), inject: [STREAMS_CONFIG, AUTH_CONFIG] },
    StreamsRepository,
    StreamsCatalog,
  ],
  exports: [STREAMS_CONFIG, SecretBox, StreamsRepository, StreamsCatalog],
})
export class StreamsCoreModule {}

/** The record of each change to a stream, on the bus (the API's and the CLI's `streams apply`). */
@Module({
  imports: [MessagingModule],
  providers: [StreamChangeRecorder],
  exports: [StreamChangeRecorder],
})
export class StreamChangesModule {}

/** The streams service: `/v1/streams` and the runner of every organization's streams. */
@Module({
  imports: [StreamsCoreModule, StreamChangesModule, MessagingModule, PersistenceModule, AuthModule, HealthModule],
  controllers: [StreamsController],
  providers: [StreamsService, StreamsRunner, StreamLagReader],
  exports: [StreamsService, StreamsRunner],
})
export class StreamsModule {}
