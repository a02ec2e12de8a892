import { Module } from '@nestjs/common';
import { IngestModule } from '@audit/ingest';
import { PlatformModule } from '@audit/platform';

@Module({ imports: [PlatformModule, IngestModule] })
export class IngestAppModule {}
