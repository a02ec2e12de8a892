import { hostname } from 'node:os';
import { HttpTarget } from '@audit/sinks';
import type { Reach } from '../network-guard';
import type { SplunkDestination } from '@audit/contracts';
import { isJsonRecord, type OutgoingRecord, type Sender } from './sender';

/**
 * Splunk HTTP Event Collector: one request of concatenated event objects (`{"time", "host", "source",
 * "sourcetype", "index"?, "event"}`) with `Authorization: Splunk <token>`. `time` is the event's createdAt
 * in epoch seconds (milliseconds as the fraction), so Splunk files it when it happened.
 */
export class SplunkSender implements Sender {
  readonly maxEvents = 1000;
  readonly maxBytes = 1_000_000;
  private readonly host = hostname();
  private readonly target: HttpTarget;

  constructor(
    private readonly destination: SplunkDestination,
    private readonly token: string,
    timeoutMs: number,
    private readonly reach: Reach,
  ) {
    this.target = new HttpTarget(destination.url, { timeoutMs, lookup: reach.lookup });
  }

  private entry(r: OutgoingRecord): string {
    const head = JSON.stringify({
      time: Date.parse(r.event.createdAt) / 1000,
      host: this.host,
      source: 'audit-trail',
      sourcetype: this.destination.sourcetype,
      ...(this.destination.index ? { index: this.destination.index } : {}),
    });
    return `${head.slice(0, -1)},"event":${isJsonRecord(r.record) ? r.record : JSON.stringify(r.record)}}`;
  }

  async send(chunk: readonly OutgoingRecord[]): Promise<void> {
    this.reach.assertPublic();
    await this.target.post(chunk.map((r) => this.entry(r)).join('\n'), {
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
