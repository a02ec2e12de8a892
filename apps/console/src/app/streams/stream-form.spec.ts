import fc from 'fast-check';
import { ACTION_TYPES, STREAM_FORMATS, type Destination, type StreamView } from '@audit/contracts';
import { DESTINATION_FIELDS, describeFilter, describeLag, describeReplayStart, emptyForm, errorsByField, formFromStream, formToBody, withType, type StreamFormState } from './stream-form';
import { formatCount, localTime } from '../format';

// Text as an administrator would type it and the server would store it: trimmed, not empty.
const word = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,20}$/);
const url = word.map((w) => `https://receiver.example.com/${encodeURIComponent(w)}`);

const destination: fc.Arbitrary<Destination> = fc.oneof(
  fc.record({ type: fc.constant('webhook' as const), url }),
  fc.record({ type: fc.constant('datadog' as const), site: word, url: fc.option(url, { nil: undefined }), tags: fc.array(word, { maxLength: 4 }) }, { requiredKeys: ['type', 'site', 'tags'] }),
  fc.record({ type: fc.constant('splunk' as const), url, index: fc.option(word, { nil: undefined }), sourcetype: word }, { requiredKeys: ['type', 'url', 'sourcetype'] }),
  fc.record(
    {
      type: fc.constant('s3' as const),
      bucket: word,
      prefix: word,
      region: word,
      endpoint: fc.option(url, { nil: undefined }),
      forcePathStyle: fc.boolean(),
      accessKeyId: fc.option(word, { nil: undefined }),
      sliceSeconds: fc.integer({ min: 1, max: 3600 }),
      maxEvents: fc.integer({ min: 1, max: 100_000 }),
    },
    { requiredKeys: ['type', 'bucket', 'prefix', 'region', 'forcePathStyle', 'sliceSeconds', 'maxEvents'] },
  ),
  fc.record(
    { type: fc.constant('syslog' as const), host: word, port: fc.integer({ min: 1, max: 65_535 }), tls: fc.boolean(), serverName: fc.option(word, { nil: undefined }) },
    { requiredKeys: ['type', 'host', 'port', 'tls'] },
  ),
);

const stream: fc.Arbitrary<StreamView> = fc.record({
  id: fc.uuid(),
  name: word,
  destination: destination.map((d) => ({ ...d, secretsSet: [] })),
  filter: fc.record(
    { actionType: fc.uniqueArray(fc.constantFrom(...ACTION_TYPES), { minLength: 1, maxLength: 5 }), userId: word, pageName: word, queryName: word, resourceName: word, ipAddress: word, q: word },
    { requiredKeys: [] },
  ),
  format: fc.constantFrom(...STREAM_FORMATS),
  state: fc.constant({ status: 'active' as const, lastError: null, since: '2026-12-01T00:00:00.000Z' }),
  replay: fc.constant(null),
  lag: fc.option(fc.record({ events: fc.nat(), seconds: fc.nat() }), { nil: null }),
  createdAt: fc.constant('2026-12-01T00:00:00.000Z'),
  updatedAt: fc.constant('2026-12-01T00:00:00.000Z'),
});

describe('the stream form', () => {
  it('sends back exactly what a stream holds when it is saved unchanged (no secret: the stored ones are kept)', () => {
    fc.assert(
      fc.property(stream, (s) => {
        const body = formToBody(formFromStream(s));
        // Absent optional fields stay absent: the API would otherwise receive "undefined" as a value.
        const stored: Record<string, unknown> = { ...s.destination };
        delete stored.secretsSet;
        const expected = Object.fromEntries(Object.entries(stored).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
        expect(body.destination).toEqual(expected);
        expect(body.filter).toEqual(s.filter);
        expect(body.name).toBe(s.name);
        expect(body.format).toBe(s.format);
        expect(Object.keys(body.destination)).not.toContain('secrets');
      }),
    );
  });

  it('puts the two webhook secrets in one list, newest first, and leaves empty ones out', () => {
    const form: StreamFormState = { ...emptyForm('webhook'), name: 'siem', values: { url: ' https://siem.example.com/in ', secret: 'new-secret-0123456789', secretPrevious: '' } };
    expect(formToBody(form).destination).toEqual({ type: 'webhook', url: 'https://siem.example.com/in', secrets: ['new-secret-0123456789'] });
    form.values.secretPrevious = 'old-secret-0123456789';
    expect(formToBody(form).destination.secrets).toEqual(['new-secret-0123456789', 'old-secret-0123456789']);
  });

  it('sends a number field that is not digits as typed, so the server names it', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((t) => t.trim() !== '' && !/^\d+$/.test(t.trim())), (typed) => {
        const form: StreamFormState = { ...emptyForm('syslog'), values: { host: 'logs.example.com', port: typed, tls: true } };
        expect(formToBody(form).destination.port).toBe(typed.trim());
      }),
    );
    expect(formToBody({ ...emptyForm('syslog'), values: { host: 'h', port: '514', tls: false } }).destination).toEqual({ type: 'syslog', host: 'h', port: 514, tls: false });
  });

  it('starts a new destination type with its own fields only (no URL of a webhook in a syslog body)', () => {
    const webhook: StreamFormState = { ...emptyForm('webhook'), name: 'x', values: { url: 'https://a.example.com', secret: 'abcdefghijklmnopq' } };
    const syslog = withType(webhook, 'syslog');
    expect(syslog.name).toBe('x');
    expect(formToBody(syslog).destination).toEqual({ type: 'syslog', tls: true });
  });

  it('places every reason of a 400 beside its field or in the general list, never losing one', () => {
    const paths = fc.constantFrom('name', 'format', 'destination.url', 'destination.secrets', 'destination.host', 'filter.userId', 'filter.actionType', 'paused', '', 'destination.nope');
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(DESTINATION_FIELDS) as Array<keyof typeof DESTINATION_FIELDS>)), fc.array(fc.record({ path: paths, reason: word }), { maxLength: 8 }), (type, details) => {
        const { byPath, other } = errorsByField(details, emptyForm(type));
        const shown = Object.values(byPath).join('; ').split('; ').filter(Boolean).length + other.length;
        expect(shown).toBe(details.length);
        for (const d of details) if (d.path === 'destination.url' && type === 'syslog') expect(other.join('\n')).toContain(d.reason);
      }),
    );
  });

  it('describes a filter in words, and no filter as every event', () => {
    expect(describeFilter({})).toBe('every event');
    expect(describeFilter({ actionType: ['LOGIN', 'LOGOUT'], userId: 'u1' })).toBe('LOGIN, LOGOUT; user id “u1”');
  });

  it('describes the lag: unknown, up to date, or how many events wait and how old the oldest is', () => {
    expect(describeLag(null)).toMatch(/^not known yet/);
    expect(describeLag({ events: 0, seconds: 0 })).toBe('up to date');
    expect(describeLag({ events: 1, seconds: 42 })).toBe('1 event to send, the oldest stored 42 s ago');
    expect(describeLag({ events: 1234, seconds: 17 * 60 + 5 })).toBe(`${formatCount(1234)} events to send, the oldest stored 17 min ago`);
    expect(describeLag({ events: 5, seconds: 3 * 3600 + 5 * 60 })).toBe('5 events to send, the oldest stored 3 h 5 min ago');
    expect(describeLag({ events: 5, seconds: 2 * 86_400 + 4 * 3600 + 59 })).toBe('5 events to send, the oldest stored 2 d 4 h ago');
  });
});

describe('describeReplayStart', () => {
  const started = (from: string | null): StreamView => ({ replay: from === null ? null : { from, untilSequence: 10 } }) as StreamView;

  it('says the replay starts where asked, or at the retention cutoff the server moved it to', () => {
    expect(describeReplayStart('2026-12-01T00:00:00.000Z', started('2026-12-01T00:00:00.000Z'))).toBe('Replay started: the events since then are sent again beside live delivery.');
    const capped = describeReplayStart('2026-10-01T00:00:00.000Z', started('2026-11-30T00:00:00.000Z'));
    expect(capped).toMatch(/^Replay started at .+, the organization's retention cutoff: older events were purged and are not sent again\./);
    expect(capped).toContain(localTime('2026-11-30T00:00:00.000Z'));
  });
});
