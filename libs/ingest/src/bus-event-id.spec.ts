import { isUuid } from '@audit/contracts';
import { busEventId } from './bus-event-id';

const T = Date.parse('2026-05-06T07:08:09.123Z');

describe('busEventId', () => {
  it('is deterministic: the same bus message always gets the same id', () => {
    expect(busEventId(T, 'AUDIT_INGEST', 17)).toBe(busEventId(T, 'AUDIT_INGEST', 17));
  });

  it('differs when the sequence, the stream or the publish time differs', () => {
    const ids = new Set([
      busEventId(T, 'AUDIT_INGEST', 17),
      busEventId(T, 'AUDIT_INGEST', 18),
      busEventId(T, 'OTHER', 17),
      busEventId(T + 1, 'AUDIT_INGEST', 17),
    ]);
    expect(ids.size).toBe(4);
  });

  it('is a canonical lower-case UUIDv7 (version 7, RFC 9562 variant) encoding the publish time', () => {
    for (let seq = 1; seq <= 200; seq++) {
      const id = busEventId(T, 'AUDIT_INGEST', seq);
      expect(isUuid(id)).toBe(true);
      expect(id).toBe(id.toLowerCase());
      const hex = id.replace(/-/g, '');
      expect(hex[12]).toBe('7');
      expect(['8', '9', 'a', 'b']).toContain(hex[16]);
      expect(parseInt(hex.slice(0, 12), 16)).toBe(T);
    }
  });

  it('sorts by publish time, like the UUIDv7 ids ingest assigns', () => {
    const earlier = busEventId(T, 'AUDIT_INGEST', 999);
    const later = busEventId(T + 1, 'AUDIT_INGEST', 1);
    expect(earlier < later).toBe(true);
  });
});
