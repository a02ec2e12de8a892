import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { TransientError } from '@audit/messaging';
import { DeliveryRejectedError } from '@audit/sinks';
import type { S3Destination } from '@audit/contracts';
import type { Reach } from '../network-guard';
import { bodyOf, ChunkSender, type OutgoingRecord, type PreparedChunk } from './sender';

const gzipAsync = promisify(gzip);
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/**
 * Where a slice goes: `<prefix><org>/<stream id>/YYYY/MM/DD/HH/<YYYYMMDDTHHMMSSZ>-<first seq>-<last seq>.jsonl.gz`,
 * by the time the bus stored its first event (UTC), so a listing by prefix finds the slices of an hour and
 * the names sort by time. A slice sent again after a failure has the same first sequence.
 */
export function sliceKey(destination: Pick<S3Destination, 'prefix'>, organizationId: string, streamId: string, chunk: readonly OutgoingRecord[]): string {
  const t = chunk[0].storedAt;
  const day = `${t.getUTCFullYear()}/${pad(t.getUTCMonth() + 1)}/${pad(t.getUTCDate())}/${pad(t.getUTCHours())}`;
  const stamp = `${t.getUTCFullYear()}${pad(t.getUTCMonth() + 1)}${pad(t.getUTCDate())}T${pad(t.getUTCHours())}${pad(t.getUTCMinutes())}${pad(t.getUTCSeconds())}Z`;
  return `${destination.prefix}${organizationId}/${streamId}/${day}/${stamp}-${chunk[0].seq}-${chunk[chunk.length - 1].seq}.jsonl.gz`;
}

/** One gzip'd JSON-lines object per slice (a batch: `sliceSeconds` or `maxEvents`, whichever first). */
export class S3Sender extends ChunkSender {
  readonly maxEvents: number;
  readonly maxBytes = 64 * 1024 * 1024;
  private readonly client: S3Client;

  constructor(
    private readonly destination: S3Destination,
    secretAccessKey: string | undefined,
    private readonly organizationId: string,
    private readonly streamId: string,
    timeoutMs: number,
    private readonly reach: Reach,
  ) {
    super();
    this.maxEvents = destination.maxEvents;
    // Kept-alive connections through the checking lookup (one: a stream puts one slice at a time).
    const agent = { keepAlive: true, maxSockets: 1, lookup: reach.lookup };
    this.client = new S3Client({
      region: destination.region,
      endpoint: destination.endpoint,
      forcePathStyle: destination.forcePathStyle,
      credentials: destination.accessKeyId && secretAccessKey ? { accessKeyId: destination.accessKeyId, secretAccessKey } : undefined,
      requestHandler: { requestTimeout: timeoutMs, connectionTimeout: timeoutMs, httpAgent: new HttpAgent(agent), httpsAgent: new HttpsAgent(agent) },
      maxAttempts: 1,
    });
  }

  async prepare(chunk: readonly OutgoingRecord[]): Promise<PreparedChunk> {
    return { records: chunk, body: await gzipAsync(bodyOf(chunk.map((r) => r.record), '', '\n', chunk.length > 0 ? '\n' : '')) };
  }

  async deliver({ records, body }: PreparedChunk): Promise<void> {
    this.reach.assertPublic();
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.destination.bucket,
          Key: sliceKey(this.destination, this.organizationId, this.streamId, records),
          Body: body,
          ContentType: 'application/x-ndjson',
          ContentEncoding: 'gzip',
        }),
      );
    } catch (error) {
      const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
        throw new DeliveryRejectedError(`the bucket refused the object: ${status} ${detail}`, status);
      }
      throw new TransientError(`S3 put failed: ${status ?? ''} ${detail}`.trim(), { cause: error });
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
