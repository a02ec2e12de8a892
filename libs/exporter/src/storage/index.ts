import type { StorageConfig } from '../config';
import type { ExportStorage } from './export-storage';
import { LocalExportStorage } from './local-storage';

export * from './export-storage';
export { LocalExportStorage } from './local-storage';

/** The configured storage. The AWS SDK (~20 MB of a process's memory) is loaded only when S3 is configured. */
export function createExportStorage(config: StorageConfig): ExportStorage {
  if (config.kind === 'local') return new LocalExportStorage(config.dir);
  // A plain require keeps the load lazy (a dynamic import() would be resolved as an ES module here).
  const { S3ExportStorage } = require('./s3-storage') as typeof import('./s3-storage');
  return new S3ExportStorage(config);
}

/**
 * The configured storage, checked at start where a check is local: EXPORT_DIR must take files. A bucket is
 * not probed here, so an S3 outage does not stop the API and worker from starting (each job retries it).
 */
export async function openExportStorage(config: StorageConfig): Promise<ExportStorage> {
  const storage = createExportStorage(config);
  if (storage instanceof LocalExportStorage) await storage.assertWritable();
  return storage;
}
