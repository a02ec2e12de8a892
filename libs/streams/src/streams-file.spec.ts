import { parseStreamsFile, renderStreamsFile, StreamsFileError } from './streams-file';

describe('streams files', () => {
  it('reads a list of streams, taking ${VAR} strings from the environment', () => {
    const text = 'streams:\n  - name: siem\n    destination:\n      type: webhook\n      url: https://siem.example.com/hook\n      secrets: ["${SIEM_SECRET}"]\n';
    expect(parseStreamsFile(text, { SIEM_SECRET: 'from-the-environment' })).toEqual([
      { name: 'siem', destination: { type: 'webhook', url: 'https://siem.example.com/hook', secrets: ['from-the-environment'] } },
    ]);
  });

  it('names every unset variable, and refuses a file without a list', () => {
    expect(() => parseStreamsFile('streams:\n  - token: ${A}\n    other: ${B}\n', {})).toThrow(/unset environment variables: A, B/);
    expect(() => parseStreamsFile('streams: 3', {})).toThrow(StreamsFileError);
    expect(() => parseStreamsFile('a: [', {})).toThrow(/not valid YAML/);
    expect(parseStreamsFile('', {})).toEqual([]);
  });

  it('reads back what it writes', () => {
    const streams = [{ name: 'a', destination: { type: 'syslog', host: 'logs.example.com', port: 6514, tls: true }, format: 'json', paused: true }];
    expect(parseStreamsFile(renderStreamsFile(streams), {})).toEqual(streams);
  });
});
