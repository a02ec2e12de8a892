import { Global, Module } from '@nestjs/common';
import { ApiKeysService } from './api-keys.service';
import { AUTH_CONFIG, readAuthConfig } from './config';
import { AdminGuard, IngestKeyGuard } from './guards';
import { TokensService } from './tokens.service';

/** Credentials for every HTTP service: ingest keys and admin bearer tokens. Needs PersistenceModule. */
@Global()
@Module({
  providers: [{ provide: AUTH_CONFIG, useFactory: () => readAuthConfig() }, ApiKeysService, TokensService, IngestKeyGuard, AdminGuard],
  exports: [AUTH_CONFIG, ApiKeysService, TokensService, IngestKeyGuard, AdminGuard],
})
export class AuthModule {}
