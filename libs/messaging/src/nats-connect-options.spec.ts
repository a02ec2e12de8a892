import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '@audit/platform';
import { readMessagingConfig } from './config';
import { natsConnectOptions } from './nats-connect-options';

const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    readMessagingConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  return [];
};

describe('NATS client configuration', () => {
  it('accepts a comma-separated NATS_URL and passes every server to connect()', () => {
    const config = readMessagingConfig({ NATS_URL: 'nats://n1:4222, nats://n2:4222,tls://n3:4443' });
    expect(config.nats.servers).toEqual(['nats://n1:4222', 'nats://n2:4222', 'tls://n3:4443']);
    expect(natsConnectOptions(config.nats).servers).toEqual(['nats://n1:4222', 'nats://n2:4222', 'tls://n3:4443']);
  });

  it('names NATS_URL and the bad entry of a list', () => {
    expect(problemsOf({ NATS_URL: 'nats://n1:4222,http://n2' })).toEqual([
      'NATS_URL must be a URL starting with nats:// or tls://, or a comma-separated list of them (got "http://n2")',
    ]);
  });

  it('names a bad entry without the password it carries (the problem is logged)', () => {
    expect(problemsOf({ NATS_URL: 'nats://n1:4222,http://writer:s3cret@n2:4222,writer:s3cret@n3' })).toEqual([
      'NATS_URL must be a URL starting with nats:// or tls://, or a comma-separated list of them (got "http://…@n2:4222")',
      'NATS_URL must be a URL starting with nats:// or tls://, or a comma-separated list of them (got "…@n3")',
    ]);
  });

  it('reads the user and password, from NATS_PASSWORD_FILE too, and the inbox prefix', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'nats-pass-')), 'password');
    writeFileSync(file, 's3cret\n');
    const config = readMessagingConfig({ NATS_USER: 'writer', NATS_PASSWORD_FILE: file, NATS_INBOX_PREFIX: '_INBOX_writer' });
    expect(natsConnectOptions(config.nats)).toMatchObject({ user: 'writer', pass: 's3cret', inboxPrefix: '_INBOX_writer' });
  });

  it('refuses half-given or contradictory credentials, naming each variable', () => {
    expect(problemsOf({ NATS_USER: 'writer' })).toEqual(['NATS_USER is set but neither NATS_PASSWORD nor NATS_PASSWORD_FILE is']);
    expect(problemsOf({ NATS_PASSWORD: 'x' })).toEqual(['NATS_PASSWORD is set but NATS_USER is not']);
    expect(problemsOf({ NATS_USER: 'u', NATS_PASSWORD: 'x', NATS_PASSWORD_FILE: '/nonexistent/pw' })).toEqual([
      'NATS_PASSWORD and NATS_PASSWORD_FILE are both set: set one',
      expect.stringMatching(/^NATS_PASSWORD_FILE cannot be read/),
    ]);
    expect(problemsOf({ NATS_TLS_CERT: '/nonexistent/cert.pem' })).toEqual([
      'NATS_TLS_CERT and NATS_TLS_KEY must be set together',
      expect.stringMatching(/^NATS_TLS_CERT cannot be read/),
    ]);
    expect(problemsOf({ NATS_INBOX_PREFIX: '_INBOX.>' })).toEqual([expect.stringMatching(/^NATS_INBOX_PREFIX must be subject tokens/)]);
  });
});
