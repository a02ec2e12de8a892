import fc from 'fast-check';
import { monthStart, partitionName, rangeOfPartitionName } from './partitions';

describe('partitionName', () => {
  it('names the month of its UTC start, zero-padded', () => {
    expect(partitionName(new Date('2026-03-01T00:00:00Z'))).toBe('audit_trail_events_y2026m03');
    expect(partitionName(new Date('2026-12-01T00:00:00Z'))).toBe('audit_trail_events_y2026m12');
    expect(partitionName(new Date('0999-01-01T00:00:00Z'))).toBe('audit_trail_events_y999m01');
  });
});

describe('monthStart', () => {
  it('is the first instant of the UTC month', () => {
    expect(monthStart(new Date('2026-03-17T13:45:00.123Z'))).toEqual(new Date('2026-03-01T00:00:00.000Z'));
    expect(monthStart(new Date('2026-03-01T00:00:00.000Z'))).toEqual(new Date('2026-03-01T00:00:00.000Z'));
    expect(monthStart(new Date('2026-03-31T23:59:59.999Z'))).toEqual(new Date('2026-03-01T00:00:00.000Z'));
  });

  it('uses UTC, not the local time zone of the offset given', () => {
    // 22:30 on 31 March in New York is already April in UTC.
    expect(monthStart(new Date('2026-03-31T22:30:00-04:00'))).toEqual(new Date('2026-04-01T00:00:00.000Z'));
  });

  it('moves by whole months across year boundaries, both ways', () => {
    const date = new Date('2026-11-30T12:00:00Z');
    expect(monthStart(date, 1)).toEqual(new Date('2026-12-01T00:00:00Z'));
    expect(monthStart(date, 2)).toEqual(new Date('2027-01-01T00:00:00Z'));
    expect(monthStart(date, 14)).toEqual(new Date('2028-01-01T00:00:00Z'));
    expect(monthStart(date, -11)).toEqual(new Date('2025-12-01T00:00:00Z'));
    expect(monthStart(new Date('2026-01-31T00:00:00Z'), 1)).toEqual(new Date('2026-02-01T00:00:00Z'));
  });

  it('names consecutive months distinctly', () => {
    const names = Array.from({ length: 24 }, (_, i) => partitionName(monthStart(new Date('2026-01-15T00:00:00Z'), i)));
    expect(new Set(names).size).toBe(24);
    expect(names[11]).toBe('audit_trail_events_y2026m12');
    expect(names[12]).toBe('audit_trail_events_y2027m01');
  });
});

describe('rangeOfPartitionName', () => {
  it('reads back the month of every name partitionName gives', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1000-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (date) => {
        const from = monthStart(date);
        expect(rangeOfPartitionName(partitionName(from))).toEqual({ from, to: monthStart(date, 1) });
      }),
    );
  });

  it('is null for any other name', () => {
    for (const name of ['audit_trail_events_default', 'audit_trail_events_y2026m13', 'audit_trail_events_y2026m00', 'audit_trail_events_y2026m3', 'audit_trail_events_y2026m03_old', 'x_audit_trail_events_y2026m03']) {
      expect(rangeOfPartitionName(name)).toBeNull();
    }
  });
});
