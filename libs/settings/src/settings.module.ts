import { AuthModule } from '@audit/auth';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { ReadAuditModule } from '@audit/read-audit';
import { Module } from '@nestjs/common';
import { HiddenParametersController } from './hidden-parameters.controller';
import { HiddenParametersAdministration } from './hidden-parameters.use-cases';
import { IngestKeysController } from './ingest-keys.controller';
import { IngestKeysAdministration } from './ingest-keys.use-cases';

/** The settings use cases without HTTP (the CLI). */
@Module({ imports: [PersistenceModule, AuthModule, MessagingModule], providers: [IngestKeysAdministration, HiddenParametersAdministration], exports: [IngestKeysAdministration, HiddenParametersAdministration] })
export class SettingsUseCasesModule {}

/** `/v1/settings/keys` and `/v1/settings/hidden-parameters` for an HTTP service. Needs the same as {@link SettingsUseCasesModule}. */
@Module({ imports: [SettingsUseCasesModule, AuthModule, ReadAuditModule], controllers: [IngestKeysController, HiddenParametersController] })
export class SettingsApiModule {}
