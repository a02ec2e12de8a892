import { assertPublicDestination, InternalAddressError, isInternalAddress } from './network-guard';

describe('the destination network guard', () => {
  it.each(['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '224.0.0.1'])(
    '%s is internal',
    (address) => expect(isInternalAddress(address)).toBe(true),
  );

  it.each(['93.184.216.34', '8.8.8.8', '2606:2800:220:1:248:1893:25c8:1946', '172.32.0.1'])('%s is public', (address) => expect(isInternalAddress(address)).toBe(false));

  it.each([
    [{ type: 'webhook', url: 'http://127.0.0.1:8080/hook' }, 'destination.url'],
    [{ type: 'webhook', url: 'http://localhost/hook' }, 'destination.url'],
    [{ type: 'webhook', url: 'http://[::1]/hook' }, 'destination.url'],
    [{ type: 'splunk', url: 'https://169.254.169.254/latest/meta-data', sourcetype: 'x' }, 'destination.url'],
    [{ type: 'syslog', host: '10.0.0.5', port: 514, tls: false }, 'destination.host'],
    [{ type: 's3', bucket: 'b', prefix: '', region: 'us-east-1', endpoint: 'http://192.168.0.10:9000', forcePathStyle: true, sliceSeconds: 60, maxEvents: 10 }, 'destination.endpoint'],
  ] as const)('refuses a destination on the platform network unless allowed: %j', async (destination, field) => {
    const refusal = await assertPublicDestination(destination, false).then(() => undefined, (error: unknown) => error);
    expect(refusal).toBeInstanceOf(InternalAddressError);
    expect((refusal as InternalAddressError).field).toBe(field);
    await expect(assertPublicDestination(destination, true)).resolves.toBeUndefined();
  });

  it('lets a public address through', async () => {
    await expect(assertPublicDestination({ type: 'webhook', url: 'https://93.184.216.34/hook' }, false)).resolves.toBeUndefined();
  });
});
