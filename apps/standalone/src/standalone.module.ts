import { Module } from '@nestjs/common';
import { AuthModule } from '@audit/auth';
import { IngestModule } from '@audit/ingest';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { WriterModule } from '@audit/writer';

/** Every service in one process: the same modules the per-service apps boot. */
@Module({ imports: [PlatformModule, MessagingModule, PersistenceModule, AuthModule, IngestModule, WriterModule] })
export class StandaloneModule {}
