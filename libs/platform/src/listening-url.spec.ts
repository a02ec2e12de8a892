import fc from 'fast-check';
import { listeningUrl } from './listening-url';

describe('listeningUrl', () => {
  it('names the bound port and address, loopback for a wildcard, for every IPv4 and IPv6 address', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('0.0.0.0', '::')), fc.integer({ min: 1, max: 65535 }), (address, port) => {
        const url = new URL(listeningUrl({ address, port, family: address.includes(':') ? 'IPv6' : 'IPv4' }));
        const expected = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '[::1]' : address.includes(':') ? new URL(`http://[${address}]`).hostname : address;
        expect(url.protocol).toBe('http:');
        expect(url.hostname).toBe(expected);
        // URL drops the scheme's default port from `port`; the text still names it.
        expect(url.port === '' ? 80 : Number(url.port)).toBe(port);
      }),
    );
  });

  it('answers a socket path as such, and refuses a server that is not listening', () => {
    expect(listeningUrl('/run/audit.sock')).toBe('unix:/run/audit.sock');
    expect(() => listeningUrl(null)).toThrow('not listening');
  });
});
