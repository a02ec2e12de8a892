import { Module } from '@nestjs/common';
import { AUTH_CONFIG, type AuthConfig } from '@audit/auth';
import { readStreamsConfig, STREAMS_CONFIG, type StreamsConfig } from './config';
import { SecretBox, secretKeyOf } from './secret-box';
import { StreamsCatalog } from './streams-catalog.service';
import { StreamsController } from './streams.controller';
import { StreamsRepository } from './streams.repository';
import { StreamsRunner } from './streams-runner.service';
import { StreamsService } from './streams.service';

/** Stream definitions without the bus: configuration, the sealed secrets, the store, the catalog (what the CLI uses). Needs PersistenceModule and AuthModule. */
@Module({
  providers: [
    { provide: STREAMS_CONFIG, useFactory: () => readStreamsConfig() },
    { provide: SecretBox, useFactory: (config: StreamsConfig, auth: AuthConfig) => new SecretBox(secretKeyOf(config.secretKey, auth.jwtSecret)), inject: [STREAMS_CONFIG, AUTH_CONFIG] },
    StreamsRepository,
    StreamsCatalog,
  ],
  exports: [STREAMS_CONFIG, SecretBox, StreamsRepository, StreamsCatalog],
})
export class StreamsCoreModule {}

/**
 * The streams service: `/v1/streams` and the runner of every organization's streams. Needs PlatformModule,
 * MessagingModule, PersistenceModule and AuthModule.
 */
@Module({
  imports: [StreamsCoreModule],
  controllers: [StreamsController],
  providers: [StreamsService, StreamsRunner],
  exports: [StreamsService, StreamsRunner],
})
export class StreamsModule {}
