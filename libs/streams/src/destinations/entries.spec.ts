import fc from 'fast-check';
import { hostname } from 'node:os';
import { ACTION_TYPES, type AuditEvent } from '@audit/contracts';
import { datadogEntry } from '@audit/sinks';
import { DatadogSender } from './datadog';
import type { OutgoingRecord } from './sender';
import { SplunkSender } from './splunk';

/**
 * The Datadog and Splunk senders write each entry as a string from parts serialised once per stream. These
 * hold that string equal to serialising the whole entry object per event (what the senders did before, and
 * what the deployment-wide Datadog sink still does), for any event, record and stream settings.
 */
const text = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !s.includes('\u0000'));
const event: fc.Arbitrary<AuditEvent> = fc.record({
  schemaVersion: fc.constant(1 as const),
  id: fc.uuid(),
  organizationId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  actionType: fc.constantFrom(...ACTION_TYPES),
  userId: fc.option(fc.oneof(text, fc.constantFrom('"', '\\', '\n', '$&', "$'")), { nil: null }),
  ipAddress: fc.constant(null),
  responseTimeMs: fc.constant(null),
  pageName: fc.constant(null),
  queryName: fc.constant(null),
  resourceName: fc.constant(null),
  metadata: fc.constant({}),
  createdAt: fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2200, 0, 1) }).map((ms) => new Date(ms).toISOString()),
  receivedAt: fc.constant('2026-01-01T00:00:00.000Z'),
}) as fc.Arbitrary<AuditEvent>;
/** A JSON record (json, ocsf, ecs), or a text line (cef) that may itself start like JSON would not. */
const outgoing: fc.Arbitrary<OutgoingRecord> = fc
  .tuple(event, fc.oneof(fc.constant(undefined), text.filter((s) => !s.startsWith('{'))))
  .map(([e, line]) => ({ event: e, record: line ?? JSON.stringify({ ...e, note: '$& $\' "quoted"' }), seq: 1, storedAt: new Date(0) }));
const reach = { lookup: undefined, assertPublic: () => undefined } as never;

describe('destination entries', () => {
  it('Datadog: each entry is the datadogEntry object serialised, with the record as `audit` (JSON) or `message` (text)', () => {
    fc.assert(
      fc.property(outgoing, fc.array(fc.oneof(text, fc.constantFrom('env:prod', 'a,b', '"')), { maxLength: 3 }), (r, tags) => {
        const sender = new DatadogSender({ type: 'datadog', site: 'datadoghq.com', url: 'http://127.0.0.1:9/logs', tags }, 'key', 1_000, reach);
        const entry = datadogEntry(r.event, { hostname: hostname(), extraTags: tags });
        const expected = r.record.startsWith('{')
          ? `${JSON.stringify({ ...entry, audit: undefined }).slice(0, -1)},"audit":${r.record}}`
          : JSON.stringify({ ...entry, audit: undefined, message: r.record });
        expect(sender.entry(r)).toBe(expected);
      }),
    );
  });

  it('Splunk: each entry is {time, host, source, sourcetype, index?, event} serialised, time in epoch seconds', () => {
    fc.assert(
      fc.property(outgoing, text, fc.option(text, { nil: undefined }), (r, sourcetype, index) => {
        const sender = new SplunkSender({ type: 'splunk', url: 'http://127.0.0.1:9/services/collector/event', sourcetype, index }, 'token', 1_000, reach);
        const head = JSON.stringify({ time: Date.parse(r.event.createdAt) / 1000, host: hostname(), source: 'audit-trail', sourcetype, ...(index ? { index } : {}) });
        const expected = `${head.slice(0, -1)},"event":${r.record.startsWith('{') ? r.record : JSON.stringify(r.record)}}`;
        expect(sender.entry(r)).toBe(expected);
        expect(JSON.parse(sender.entry(r)).time).toBe(Date.parse(r.event.createdAt) / 1000);
      }),
    );
  });
});
