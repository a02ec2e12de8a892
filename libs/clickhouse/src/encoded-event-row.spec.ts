import { sampleEvent } from '@audit/testing-pipeline';
import { encodeEventRow, eventKey } from './encoded-event-row';

describe('encodeEventRow key', () => {
  it("is the event's eventKey, made once: the id lower-cased as ClickHouse prints it", () => {
    const event = sampleEvent(1, { organizationId: 'Org-A', id: 'ABCDEF00-0000-4000-8000-00000000000A' });
    const row = encodeEventRow(event);
    expect(row.key).toBe('Org-A/abcdef00-0000-4000-8000-00000000000a');
    expect(eventKey(row)).toBe(eventKey(event));
    // The duplicate check answers ids as ClickHouse prints them: the same key as the row's.
    expect(eventKey({ organizationId: 'Org-A', id: 'abcdef00-0000-4000-8000-00000000000a' })).toBe(row.key);
  });
});
