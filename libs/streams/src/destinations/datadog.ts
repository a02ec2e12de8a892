import { promisify } from 'node:util';
import { constants, gzip } from 'node:zlib';
import { hostname } from 'node:os';
import { datadogMessage, HttpTarget, DATADOG_MAX_BYTES, DATADOG_MAX_ENTRIES } from '@audit/sinks';
import type { Reach } from '../network-guard';
import type { DatadogDestination } from '@audit/contracts';
import { bodyOf, ChunkSender, isJsonRecord, type OutgoingRecord, type PreparedChunk } from './sender';

const gzipAsync = promisify(gzip);

/**
 * The Datadog logs intake, entries as the deployment-wide Datadog sink writes them. A JSON record is the
 * entry's `audit` attribute; a text record (CEF) is its `message`.
 */
export class DatadogSender extends ChunkSender {
  readonly maxEvents = DATADOG_MAX_ENTRIES;
  readonly maxBytes = DATADOG_MAX_BYTES - 2;
  private readonly target: HttpTarget;
  /** What opens every entry of this stream, up to the value of `ddtags`: written once, not per event. */
  private readonly head: string;
  /** The stream's own tags after the event's two (`,env:prod,team:x`), or nothing. */
  private readonly extraTags: string;

  constructor(
    private readonly destination: DatadogDestination,
    private readonly apiKey: string,
    timeoutMs: number,
    private readonly reach: Reach,
  ) {
    super();
    this.target = new HttpTarget(destination.url ?? `https://http-intake.logs.${destination.site}/api/v2/logs`, { timeoutMs, lookup: reach.lookup });
    this.head = `{"ddsource":"audit-trail","service":"audit-log","hostname":${JSON.stringify(hostname())},"ddtags":`;
    this.extraTags = destination.tags.map((tag) => `,${tag}`).join('');
  }

  /**
   * The entry `datadogEntry` describes, its fields in the same order, written as a string: building the
   * object and serialising it again for every event was a large share of this sender's CPU. A JSON record
   * is spliced in as `audit`; a text record (CEF) is the `message`. destinations.spec.ts holds the two equal.
   */
  entry(r: OutgoingRecord): string {
    const e = r.event;
    const fields = `${this.head}${JSON.stringify(`organization:${e.organizationId},action_type:${e.actionType}${this.extraTags}`)},"date":${JSON.stringify(e.createdAt)}`;
    if (!isJsonRecord(r.record)) return `${fields},"message":${JSON.stringify(r.record)}}`;
    return `${fields},"message":${JSON.stringify(datadogMessage(e))},"audit":${r.record}}`;
  }

  async prepare(chunk: readonly OutgoingRecord[]): Promise<PreparedChunk> {
    // The fastest level: the intake only inflates it, its limits are on the inflated size, and level 6 took
    // most of this sender's CPU for a body a few per cent smaller.
    return { records: chunk, body: await gzipAsync(bodyOf(chunk.map((r) => this.entry(r)), '[', ',', ']'), { level: constants.Z_BEST_SPEED }) };
  }

  async deliver({ body }: PreparedChunk): Promise<void> {
    this.reach.assertPublic();
    await this.target.post(body, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'DD-API-KEY': this.apiKey, 'User-Agent': 'audit-trail-stream/1' });
  }

  close(): Promise<void> {
    this.target.close();
    return Promise.resolve();
  }
}
