import { Module } from '@nestjs/common';
import { AuthModule } from '@audit/auth';
import { IngestModule } from '@audit/ingest';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';

@Module({ imports: [PlatformModule, MessagingModule, PersistenceModule, AuthModule, IngestModule] })
export class IngestAppModule {}
