import { Module } from '@nestjs/common';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { PlatformModule } from '@audit/platform';
import { SealerModule } from '@audit/sealer';

@Module({ imports: [PlatformModule, MessagingModule, PersistenceModule, SealerModule] })
export class SealerAppModule {}
