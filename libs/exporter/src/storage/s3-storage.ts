import { DeleteObjectCommand, GetObjectCommand, ListMultipartUploadsCommand, AbortMultipartUploadCommand, S3Client, NoSuchKey } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { PassThrough, Readable } from 'node:stream';
import type { StorageConfig } from '../config';
import { assertSafeKey, StoredFileMissingError, type ExportStorage } from './export-storage';

type S3Config = Extract<StorageConfig, { kind: 's3' }>;

/** 8 MiB parts, two in flight: the upload holds at most ~16 MiB whatever the export's size. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;

/**
 * Export files in an S3-compatible bucket (AWS, MinIO, R2, …) through multipart uploads: the object appears
 * only when the upload completes, and an interrupted upload is aborted so no parts linger.
 */
export class S3ExportStorage implements ExportStorage {
  readonly kind = 's3' as const;
  private readonly client: S3Client;

  constructor(private readonly config: S3Config) {
    this.client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      credentials: config.credentials,
    });
  }

  private objectKey(key: string): string {
    assertSafeKey(key);
    return `${this.config.prefix}${key}`;
  }

  async write(key: string, body: Readable): Promise<{ sizeBytes: number }> {
    let sizeBytes = 0;
    const counted = new PassThrough();
    counted.on('data', (chunk: Buffer) => (sizeBytes += chunk.length));
    body.on('error', (error) => counted.destroy(error));
    body.pipe(counted);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.config.bucket, Key: this.objectKey(key), Body: counted, ContentType: 'text/csv; charset=utf-8', ContentEncoding: 'gzip' },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    await upload.done();
    return { sizeBytes };
  }

  async read(key: string): Promise<Readable> {
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key) }));
      if (!(result.Body instanceof Readable)) throw new Error('S3 returned no readable body');
      return result.Body;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') throw new StoredFileMissingError(key);
      throw error;
    }
  }

  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.objectKey(key) }));
  }

  /** A crashed worker cannot abort its own multipart upload: its successor does. */
  async removePartial(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    const listed = await this.client.send(new ListMultipartUploadsCommand({ Bucket: this.config.bucket, Prefix: objectKey }));
    for (const upload of listed.Uploads ?? []) {
      if (upload.Key !== objectKey || !upload.UploadId) continue;
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.config.bucket, Key: objectKey, UploadId: upload.UploadId }));
    }
  }

  destroy(): void {
    this.client.destroy();
  }
}
