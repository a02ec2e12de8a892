import fc from 'fast-check';
import { parseStreamInput } from './parse-stream-input';

const PRIVATE_KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----';
const webhook = (destination: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  name: 'siem',
  destination: { type: 'webhook', url: 'https://siem.example.com/audit', secrets: ['a-secret-of-16-chars'], ...destination },
  ...extra,
});
const paths = (body: unknown, creating = true): string[] => {
  const result = parseStreamInput(body, creating);
  return result.ok ? [] : result.problems.map((p) => p.path);
};

describe('parseStreamInput', () => {
  it('accepts a webhook stream and splits its secrets off the destination', () => {
    const result = parseStreamInput(webhook({}, { filter: { actionType: 'LOGIN' } }), true);
    expect(result).toEqual({
      ok: true,
      input: {
        name: 'siem',
        destination: { type: 'webhook', url: 'https://siem.example.com/audit' },
        secrets: { secrets: ['a-secret-of-16-chars'] },
        filter: { actionType: ['LOGIN'] },
        format: 'json',
        paused: false,
      },
    });
  });

  it.each([
    ['a bad URL', webhook({ url: 'not a url' }), 'destination.url'],
    ['a URL of another scheme', webhook({ url: 'file:///etc/passwd' }), 'destination.url'],
    ['a URL carrying credentials', webhook({ url: 'https://user:pw@siem.example.com/' }), 'destination.url'],
    ['a private key where a URL belongs', webhook({ url: PRIVATE_KEY }), 'destination.url'],
    ['an unknown destination type', { name: 'x', destination: { type: 'ftp' } }, 'destination.type'],
    ['an unknown format', webhook({}, { format: 'xml' }), 'format'],
    ['a missing secret', webhook({ secrets: undefined }), 'destination.secrets'],
    ['a short secret', webhook({ secrets: ['short'] }), 'destination.secrets'],
    ['three secrets', webhook({ secrets: ['a'.repeat(16), 'b'.repeat(16), 'c'.repeat(16)] }), 'destination.secrets'],
    ['an unknown field', webhook({ header: 'x' }), 'destination.header'],
    ['an unknown action type', webhook({}, { filter: { actionType: ['LOGGED_IN'] } }), 'filter.actionType'],
    ['a time window in the filter', webhook({}, { filter: { from: '2026-01-01T00:00:00Z' } }), 'filter.from'],
    ['a missing name', { destination: webhook().destination }, 'name'],
    ['a Splunk stream without its token', { name: 's', destination: { type: 'splunk', url: 'https://splunk.example.com:8088/services/collector/event' } }, 'destination.token'],
    ['a Datadog stream without its key', { name: 'd', destination: { type: 'datadog' } }, 'destination.apiKey'],
    ['an S3 key id without its secret', { name: 's3', destination: { type: 's3', bucket: 'audit-logs', accessKeyId: 'AKIAEXAMPLE' } }, 'destination.secretAccessKey'],
    ['a bad bucket name', { name: 's3', destination: { type: 's3', bucket: 'Not_A_Bucket' } }, 'destination.bucket'],
    ['a syslog port out of range', { name: 'l', destination: { type: 'syslog', host: 'logs.example.com', port: 70000 } }, 'destination.port'],
    ['a syslog CA that is a private key', { name: 'l', destination: { type: 'syslog', host: 'logs.example.com', caCertificate: PRIVATE_KEY } }, 'destination.caCertificate'],
  ])('refuses %s, naming the field', (_what, body, path) => {
    expect(paths(body)).toContain(path);
  });

  it('never echoes a value in a reason (a secret pasted in the wrong field stays unseen)', () => {
    const result = parseStreamInput(webhook({ url: PRIVATE_KEY }), true);
    expect(JSON.stringify(result)).not.toContain('MIGHAgEAMBMGByqGSM49');
  });

  it('on a replace, secret fields may be left out (the stored ones stay)', () => {
    expect(paths(webhook({ secrets: undefined }), false)).toEqual([]);
  });

  it('accepts no text that Postgres would refuse (a NUL) or change (a lone surrogate), naming the field holding it', () => {
    const text = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), fc.constantFrom('a\u0000b', '\ud800', 'x\udc00y'));
    const unstorable = (s: string): boolean => s.includes('\u0000') || !(String.prototype as unknown as { isWellFormed(this: string): boolean }).isWellFormed.call(s);
    fc.assert(
      fc.property(fc.constantFrom('userId', 'pageName', 'queryName', 'resourceName', 'q'), text, text, (field, value, secret) => {
        const body = webhook({ secrets: [`a-secret-of-16-chars${secret}`] }, { filter: { [field]: value } });
        const refused = paths(body);
        expect(refused.includes(`filter.${field}`)).toBe(unstorable(value) || value.length > (field === 'q' ? 256 : 1024));
        expect(refused.includes('destination.secrets')).toBe(unstorable(secret) || secret.length > 512 - 20);
      }),
      { numRuns: 2000, examples: [['userId', '\ud800', 'ok'], ['q', 'ok', 'a\u0000b']] },
    );
  });

  it('never throws, whatever the body, and names a field for every refusal', () => {
    fc.assert(
      fc.property(fc.anything(), fc.boolean(), (body, creating) => {
        const result = parseStreamInput(body, creating);
        if (!result.ok) expect(result.problems.length).toBeGreaterThan(0);
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('type', 'url', 'secrets', 'host', 'port', 'bucket', 'token', 'apiKey', 'tls'), fc.anything()), (destination) => {
        const result = parseStreamInput({ name: 'n', destination }, true);
        if (!result.ok) expect(result.problems.every((p) => p.path.length > 0)).toBe(true);
      }),
    );
  });
});
