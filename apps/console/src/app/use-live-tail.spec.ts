import fc from 'fast-check';
import { liveQuery, splitFrames, type SseFrame } from './use-live-tail';
import { EMPTY_FILTERS } from './filters';

const stream = 'retry: 2000\n: open\n\nid: 7\nevent: event\ndata: {"id":"a"}\n\n: heartbeat 2026-12-06T09:00:00.000Z\n\nid: 9\r\nevent: event\r\ndata: {"id":"b"}\r\n\r\n';
const expected: SseFrame[] = [
  { id: '7', event: 'event', data: '{"id":"a"}' },
  { id: '9', event: 'event', data: '{"id":"b"}' },
];

describe('the live tail in the console', () => {
  it('reads the same frames however the stream is cut into chunks (comments and retry lines dropped)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
        const bounds = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const frames: SseFrame[] = [];
        let buffer = '';
        for (let i = 1; i < bounds.length; i++) {
          const { frames: got, rest } = splitFrames(buffer + stream.slice(bounds[i - 1], bounds[i]));
          frames.push(...got);
          buffer = rest;
        }
        // A chunk may end between \r and \n; the next one completes the frame.
        expect(frames).toEqual(expected);
      }),
    );
  });

  it('asks the stream for the view’s filters, and for its window only when it is a custom one', () => {
    const window = { from: new Date('2026-12-05T00:00:00Z'), to: new Date('2026-12-06T00:00:00Z') };
    const preset = liveQuery({ ...EMPTY_FILTERS, search: 'action:LOGIN' }, window);
    expect(preset.get('search')).toBe('action:LOGIN');
    expect(preset.has('from')).toBe(false);
    expect(preset.get('hideAuditReads')).toBe('true');
    const custom = liveQuery({ ...EMPTY_FILTERS, range: 'custom', from: window.from.toISOString(), to: window.to.toISOString() }, window);
    expect(custom.get('to')).toBe(window.to.toISOString());
  });
});
