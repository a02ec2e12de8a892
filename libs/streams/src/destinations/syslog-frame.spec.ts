import type { AuditEvent } from '@audit/contracts';
import { syslogFrame } from './syslog';

const record = (event: Partial<AuditEvent>, text: string) => ({
  event: { id: 'b3f1c2d4-0000-7000-8000-000000000001', organizationId: 'acme', actionType: 'LOGIN', createdAt: '2026-12-07T10:00:00.000Z', ...event } as AuditEvent,
  record: text,
  seq: 1,
  storedAt: new Date(0),
});

describe('syslogFrame: one octet-counted RFC 5424 message', () => {
  it('counts the UTF-8 octets of the message and carries the event id and organization as structured data', () => {
    const frame = syslogFrame(record({}, '{"a":"é😀"}'), 'host-1');
    const message = '<110>1 2026-12-07T10:00:00.000Z host-1 audit-trail - LOGIN [audit@32473 id="b3f1c2d4-0000-7000-8000-000000000001" org="acme"] {"a":"é😀"}';
    expect(frame).toBe(`${Buffer.byteLength(message)} ${message}`);
  });

  it('escapes the three characters a structured-data value may not hold bare, wherever they are', () => {
    const frame = syslogFrame(record({ id: 'a"b', organizationId: 'x\\y]z]' }, 'r'), 'h');
    expect(frame).toContain('[audit@32473 id="a\\"b" org="x\\\\y\\]z\\]"] r');
  });
});
