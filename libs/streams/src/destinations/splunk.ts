import { hostname } from 'node:os';
import { HttpTarget } from '@audit/sinks';
import type { Reach } from '../network-guard';
import type { SplunkDestination } from '@audit/contracts';
import { bodyOf, ChunkSender, isJsonRecord, type OutgoingRecord, type PreparedChunk } from './sender';

/**
 * Splunk HTTP Event Collector: one request of concatenated event objects (`{"time", "host", "source",
 * "sourcetype", "index"?, "event"}`) with `Authorization: Splunk <token>`. `time` is the event's createdAt
 * in epoch seconds (milliseconds as the fraction), so Splunk files it when it happened.
 */
export class SplunkSender extends ChunkSender {
  readonly maxEvents = 1000;
  readonly maxBytes = 1_000_000;
  private readonly target: HttpTarget;
  /** `,"host":…,"source":…,"sourcetype":…[,"index":…]`: the same for every event of the stream. */
  private readonly fields: string;

  constructor(
    private readonly destination: SplunkDestination,
    private readonly token: string,
    timeoutMs: number,
    private readonly reach: Reach,
  ) {
    super();
    this.target = new HttpTarget(destination.url, { timeoutMs, lookup: reach.lookup });
    const fields = JSON.stringify({ host: hostname(), source: 'audit-trail', sourcetype: destination.sourcetype, ...(destination.index ? { index: destination.index } : {}) });
    this.fields = `,${fields.slice(1, -1)}`;
  }

  /**
   * One event object. Only `time` differs from event to event: the fields after it are serialised once per
   * stream (destinations.spec.ts holds this equal to serialising the whole object each time).
   */
  entry(r: OutgoingRecord): string {
    return `{"time":${JSON.stringify(Date.parse(r.event.createdAt) / 1000)}${this.fields},"event":${isJsonRecord(r.record) ? r.record : JSON.stringify(r.record)}}`;
  }

  prepare(chunk: readonly OutgoingRecord[]): Promise<PreparedChunk> {
    return Promise.resolve({ records: chunk, body: bodyOf(chunk.map((r) => this.entry(r)), '', '\n') });
  }

  async deliver({ body }: PreparedChunk): Promise<void> {
    this.reach.assertPublic();
    await this.target.post(body, {
      'Content-Type': 'application/json',
      Authorization: `Splunk ${this.token}`,
      'User-Agent': 'audit-trail-stream/1',
    });
  }

  close(): Promise<void> {
    this.target.close();
    return Promise.resolve();
  }
}
