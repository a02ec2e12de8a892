import { Module } from '@nestjs/common';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { HealthModule } from '@audit/platform';
import { CheckpointSigner } from './checkpoint-signer';
import { readSealerConfig, SEALER_CONFIG } from './config';
import { LogAppender } from './log-appender';
import { ReceivedThroughBound } from './received-through-bound';
import { SealerConsumer } from './sealer.consumer';

/** The sealer service: AUDIT_EVENTS → each organization's Merkle log, and its signed checkpoints. */
@Module({
  imports: [HealthModule, MessagingModule, PersistenceModule],
  providers: [{ provide: SEALER_CONFIG, useFactory: () => readSealerConfig() }, LogAppender, ReceivedThroughBound, SealerConsumer, CheckpointSigner],
  exports: [SealerConsumer, CheckpointSigner],
})
export class SealerModule {}
