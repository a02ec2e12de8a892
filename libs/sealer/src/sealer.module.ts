import { Module } from '@nestjs/common';
import { CheckpointSigner } from './checkpoint-signer';
import { readSealerConfig, SEALER_CONFIG } from './config';
import { LogAppender } from './log-appender';
import { SealerConsumer } from './sealer.consumer';

/** The sealer service: AUDIT_EVENTS → each organization's Merkle log, and its signed checkpoints. Needs Messaging and Persistence. */
@Module({
  providers: [{ provide: SEALER_CONFIG, useFactory: () => readSealerConfig() }, LogAppender, SealerConsumer, CheckpointSigner],
  exports: [SealerConsumer, CheckpointSigner],
})
export class SealerModule {}
