import { Module } from '@nestjs/common';
import { AUTH_CONFIG, type AuthConfig } from '@audit/auth';
import { ReadAuditModule } from '@audit/query';
import { EXPORTER_CONFIG, readExporterConfig, type ExporterConfig } from './config';
import { ExportJobsRepository } from './export-jobs.repository';
import { ExportSweeper } from './export-sweeper.service';
import { ExportWorker } from './export-worker.service';
import { ExportsController } from './exports.controller';
import { ExportsService, LINK_SIGNER } from './exports.service';
import { linkSecret } from './link-secret';
import { LinkSigner } from './link-signer';
import { createExportStorage, EXPORT_STORAGE, type ExportStorage } from './storage';

/** What the API and the worker share: configuration, the storage adapter, the job store. Needs PersistenceModule. */
@Module({
  providers: [
    { provide: EXPORTER_CONFIG, useFactory: () => readExporterConfig() },
    { provide: EXPORT_STORAGE, useFactory: (config: ExporterConfig): ExportStorage => createExportStorage(config.storage), inject: [EXPORTER_CONFIG] },
    ExportJobsRepository,
  ],
  exports: [EXPORTER_CONFIG, EXPORT_STORAGE, ExportJobsRepository],
})
export class ExporterCoreModule {}

/**
 * The exports HTTP API: `POST /v1/exports`, `GET /v1/exports`, `GET /v1/exports/:id/download`.
 * Needs PersistenceModule, MessagingModule (PAGE_EXPORT events; the listing's PAGE_VIEW through
 * ReadAuditModule, so it is audited in the exporter service too) and AuthModule. With local storage, the
 * process serving downloads must see the workers' `EXPORT_DIR` (a shared volume), or use S3.
 */
@Module({
  imports: [ExporterCoreModule, ReadAuditModule],
  controllers: [ExportsController],
  providers: [
    ExportsService,
    { provide: LINK_SIGNER, useFactory: (auth: AuthConfig) => new LinkSigner(linkSecret(auth)), inject: [AUTH_CONFIG] },
  ],
  exports: [ExportsService],
})
export class ExportsApiModule {}

/** Claims and runs export jobs (`EXPORT_WORKER_CONCURRENCY` at a time) and sweeps expired files. Needs PersistenceModule. */
@Module({
  imports: [ExporterCoreModule],
  providers: [ExportWorker, ExportSweeper],
  exports: [ExportWorker, ExportSweeper],
})
export class ExportWorkerModule {}
