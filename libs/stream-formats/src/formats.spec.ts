/**
 * Golden files: one record per action type and format, made from the fixed sample events of
 * sample-events.fixture.ts, compared line by line with src/golden/<format>.golden.
 *
 * After a deliberate change of a format, regenerate them and review the diff:
 *   UPDATE_GOLDEN=1 npx jest -c jest.config.js libs/stream-formats/src/formats.spec.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ACTION_TYPES, type AuditEvent } from '@audit/contracts';
import { STREAM_FORMATS, UnmappedActionTypeError, formatEvent } from './index';
import { auditEventArbitrary } from './event-arbitrary.fixture';
import { sampleEvents } from './sample-events.fixture';

const goldenPath = (format: string): string => join(__dirname, 'golden', `${format}.golden`);

describe('stream formats', () => {
  const events = sampleEvents();

  it('are json, ocsf, cef and ecs', () => {
    expect(STREAM_FORMATS).toEqual(['json', 'ocsf', 'cef', 'ecs']);
  });

  it('have samples of all 34 action types', () => {
    expect(events.map((e) => e.actionType)).toEqual([...ACTION_TYPES]);
    expect(ACTION_TYPES).toHaveLength(34);
  });

  describe.each(STREAM_FORMATS)('%s', (format) => {
    it('matches its golden file for every action type', () => {
      const lines = events.map((event) => formatEvent(format, event));
      const text = `${lines.join('\n')}\n`;
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(goldenPath(format), text);
      const golden = readFileSync(goldenPath(format), 'utf8').split('\n').slice(0, -1);
      expect(golden).toHaveLength(ACTION_TYPES.length);
      lines.forEach((line, i) => expect({ actionType: ACTION_TYPES[i], line }).toEqual({ actionType: ACTION_TYPES[i], line: golden[i] }));
    });

    it('writes any event as one line without a trailing newline, carrying the event id', () => {
      fc.assert(
        fc.property(auditEventArbitrary, (event) => {
          const record = formatEvent(format, event);
          expect(record).not.toMatch(/[\r\n]/);
          expect(record).toContain(event.id);
          if (format !== 'cef') expect(() => JSON.parse(record) as unknown).not.toThrow();
        }),
        { numRuns: 300 },
      );
    });
  });

  it('refuses an event whose action type has no mapping, naming it', () => {
    const event = { ...events[0], actionType: 'toString' } as unknown as AuditEvent;
    for (const format of ['ocsf', 'cef', 'ecs'] as const) {
      expect(() => formatEvent(format, event)).toThrow(new UnmappedActionTypeError('toString'));
    }
  });

  it('json is the canonical event itself', () => {
    fc.assert(
      fc.property(auditEventArbitrary, (event) => {
        expect(JSON.parse(formatEvent('json', event))).toEqual(event);
      }),
    );
  });

  it('ecs keeps the whole native event in event.original', () => {
    fc.assert(
      fc.property(auditEventArbitrary, (event) => {
        const doc = JSON.parse(formatEvent('ecs', event)) as { event: { original: string; id: string } };
        expect(doc.event.id).toBe(event.id);
        expect(JSON.parse(doc.event.original)).toEqual(event);
      }),
    );
  });
});
