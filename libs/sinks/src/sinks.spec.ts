import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { chunkBySize } from './batching';
import { readSinksConfig } from './config';
import { webhookSignature } from './webhook.sink';

describe('sink configuration', () => {
  it('names each bad sink variable', () => {
    expect(() => readSinksConfig({ WEBHOOK_URL: 'https://example.com/hook' })).toThrow(/WEBHOOK_SECRET/);
    expect(() => readSinksConfig({ LOG_AUDIT_EVENTS: 'maybe' })).toThrow(/LOG_AUDIT_EVENTS/);
  });

  it('enables each sink by its own variables', () => {
    expect(readSinksConfig({})).toMatchObject({ stdout: false, datadog: undefined, webhook: undefined });
    const config = readSinksConfig({ DD_API_KEY: 'k', DD_SITE: 'datadoghq.eu', DD_TAGS: 'env:prod, team:sec' });
    expect(config.datadog).toMatchObject({ url: 'https://http-intake.logs.datadoghq.eu/api/v2/logs', extraTags: ['env:prod', 'team:sec'] });
    expect(readSinksConfig({ DD_API_KEY: 'k', DD_LOGS_URL: 'http://127.0.0.1:1/x' }).datadog?.url).toBe('http://127.0.0.1:1/x');
  });
});

describe('sink batching', () => {
  it('keeps order and both bounds', () => {
    const sizes = [3, 3, 3, 9, 1, 1, 1, 1, 1];
    const chunks = chunkBySize(sizes, 3, 9, (n) => n);
    expect(chunks).toEqual([[3, 3, 3], [9], [1, 1, 1], [1, 1]]);
    // An item larger than the byte bound travels alone rather than being dropped.
    expect(chunkBySize([20, 1], 10, 9, (n) => n)).toEqual([[20], [1]]);
  });

  it('signs webhook bodies with the timestamp', () => {
    expect(webhookSignature('secret', '{"events":[]}', 1700000000)).toBe(
      `t=1700000000,v1=${createHmac('sha256', 'secret').update('1700000000.{"events":[]}').digest('hex')}`,
    );
  });

  it('signs a body given as bytes exactly as the same body given as text, with every active secret', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 2 }), fc.integer({ min: 0, max: 2 ** 31 }), (body, secrets, t) => {
        const expected = [`t=${t}`, ...secrets.map((s) => `v1=${createHmac('sha256', s).update(`${t}.${body}`).digest('hex')}`)].join(',');
        expect(webhookSignature(secrets, body, t)).toBe(expected);
        expect(webhookSignature(secrets, Buffer.from(body, 'utf8'), t)).toBe(expected);
      }),
    );
  });
});
