import { Module } from '@nestjs/common';
import { AUTH_CONFIG, AuthModule, type AuthConfig } from '@audit/auth';
import { MessagingModule } from '@audit/messaging';
import { PersistenceModule } from '@audit/persistence';
import { ReadAuditModule } from '@audit/read-audit';
import { EXPORTER_CONFIG, readExporterConfig, type ExporterConfig } from './config';
import { ExportJobsRepository } from './export-jobs.repository';
import { ExportSweeper } from './export-sweeper.service';
import { ExportWorker } from './export-worker.service';
import { ExportsController } from './exports.controller';
import { ExportsService, LINK_SIGNER } from './exports.service';
import { linkSecret } from './link-secret';
import { LinkSigner } from './link-signer';
import { EXPORT_STORAGE, openExportStorage, type ExportStorage } from './storage';

/** What the API and the worker share: configuration, the storage adapter, the job store (in Postgres). */
@Module({
  imports: [PersistenceModule],
  providers: [
    { provide: EXPORTER_CONFIG, useFactory: () => readExporterConfig() },
    { provide: EXPORT_STORAGE, useFactory: (config: ExporterConfig): Promise<ExportStorage> => openExportStorage(config.storage), inject: [EXPORTER_CONFIG] },
    ExportJobsRepository,
  ],
  exports: [EXPORTER_CONFIG, EXPORT_STORAGE, ExportJobsRepository],
})
export class ExporterCoreModule {}

/**
 * The exports HTTP API: `POST /v1/exports`, `GET /v1/exports`, `GET /v1/exports/:id/download`.
 * It records PAGE_EXPORT events on the bus, and the listing's PAGE_VIEW through ReadAuditModule, so it
 * is audited in the exporter service too. With local storage, the
 * process serving downloads must see the workers' `EXPORT_DIR` (a shared volume), or use S3.
 */
@Module({
  imports: [ExporterCoreModule, PersistenceModule, MessagingModule, AuthModule, ReadAuditModule],
  controllers: [ExportsController],
  providers: [
    ExportsService,
    { provide: LINK_SIGNER, useFactory: (auth: AuthConfig, config: ExporterConfig) => new LinkSigner(linkSecret(auth, config)), inject: [AUTH_CONFIG, EXPORTER_CONFIG] },
  ],
  exports: [ExportsService],
})
export class ExportsApiModule {}

/** Claims and runs export jobs (`EXPORT_WORKER_CONCURRENCY` at a time) and sweeps expired files. */
@Module({
  imports: [ExporterCoreModule, PersistenceModule],
  providers: [ExportWorker, ExportSweeper],
  exports: [ExportWorker, ExportSweeper],
})
export class ExportWorkerModule {}
