import { parseTtlSeconds, readAuthConfig, TokensService } from '@audit/auth';
import { UsageError, type Output } from '../output';
import { mintToken, type TokenOptions } from './token';

const SECRET = 'a-test-secret-that-is-long-enough-123';

describe('token command', () => {
  const tokens = new TokensService(readAuthConfig({ AUTH_JWT_SECRET: SECRET, AUTH_MAX_TOKEN_LIFETIME: '24h' }));

  const mint = async (options: TokenOptions): Promise<{ token: string; expiresAt: string }> => {
    let result: unknown;
    const out: Output = { json: true, result: (value) => (result = value) };
    await mintToken(tokens, options, out);
    return result as { token: string; expiresAt: string };
  };

  it('mints a token the services admit, within the longest lifetime', async () => {
    const { token } = await mint({ org: 'acme', role: 'admin', sub: 'ada', ttl: 86_400 });
    await expect(tokens.verify(token)).resolves.toEqual({ organizationId: 'acme', role: 'admin', userId: 'ada' });
  });

  it('refuses a --ttl beyond AUTH_MAX_TOKEN_LIFETIME, and a --sub no event could record, naming the flag', async () => {
    await expect(mint({ org: 'acme', role: 'admin', ttl: 90_000 })).rejects.toThrow(new UsageError('--ttl is too long: at most 86400 seconds (AUTH_MAX_TOKEN_LIFETIME; got 90000)'));
    // 99999d is a whole number of seconds: the refusal names the real problem, its length, and the maximum.
    await expect(mint({ org: 'acme', role: 'admin', ttl: parseTtlSeconds('99999d') })).rejects.toThrow(new UsageError('--ttl is too long: at most 86400 seconds (AUTH_MAX_TOKEN_LIFETIME; got 8639913600)'));
    await expect(mint({ org: 'acme', role: 'admin', ttl: 1.5 })).rejects.toThrow(new UsageError('--ttl must be a whole number of seconds (got 1.5)'));
    await expect(mint({ org: 'acme', role: 'admin', sub: 'u'.repeat(300), ttl: 60 })).rejects.toThrow(/^--sub must be at most 256 characters/);
    await expect(mint({ org: 'ac.me', role: 'admin', ttl: 60 })).rejects.toThrow(/^--org must match/);
  });
});
