import { Module } from '@nestjs/common';
import { PlatformModule } from '@audit/platform';
import { WriterModule } from '@audit/writer';

@Module({ imports: [PlatformModule, WriterModule] })
export class WriterAppModule {}
