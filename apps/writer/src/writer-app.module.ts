import { Module } from '@nestjs/common';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { WriterModule } from '@audit/writer';

@Module({ imports: [PlatformModule, MessagingModule, PersistenceModule, WriterModule] })
export class WriterAppModule {}
