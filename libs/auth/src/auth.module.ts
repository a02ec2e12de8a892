import { Module } from '@nestjs/common';
import { PersistenceModule } from '@audit/persistence';
import { ApiKeysService } from './api-keys.service';
import { AUTH_CONFIG, readAuthConfig } from './config';
import { AdminGuard, IngestKeyGuard } from './guards';
import { TokensService } from './tokens.service';

/** Credentials for every HTTP service: ingest keys (stored in Postgres) and admin bearer tokens. */
@Module({
  imports: [PersistenceModule],
  providers: [{ provide: AUTH_CONFIG, useFactory: () => readAuthConfig() }, ApiKeysService, TokensService, IngestKeyGuard, AdminGuard],
  exports: [AUTH_CONFIG, ApiKeysService, TokensService, IngestKeyGuard, AdminGuard],
})
export class AuthModule {}
