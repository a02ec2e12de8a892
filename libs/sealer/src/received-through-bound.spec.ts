import fc from 'fast-check';
import { receivedThroughLine, receivedThroughOf } from '@audit/transparency';
import { deadLetteredOrganizations, oldestReceivedByOrganization, organizationOfSubject, receivedThroughTime, type PendingMessage } from './received-through-bound';

// Times within the years a leaf time can carry (toISOString's four-digit years).
const instant = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2200, 0, 1) });

describe('receivedThroughTime', () => {
  it('is before every time an event outside the log can carry, and as late as that allows', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 1, max: 3_600_000 }), fc.option(instant), fc.option(instant), (readAtMs, marginMs, oldestIngestMs, oldestPendingMs) => {
        const through = Date.parse(receivedThroughTime({ readAtMs, marginMs, oldestIngestMs, oldestPendingMs }));
        // An event published after the read, one still in AUDIT_INGEST, one past the ack floor: none is vouched for.
        expect(through).toBeLessThan(readAtMs - marginMs);
        if (oldestIngestMs !== null) expect(through).toBeLessThan(oldestIngestMs);
        if (oldestPendingMs !== null) expect(through).toBeLessThan(oldestPendingMs);
        // One millisecond before the nearest of them: no later time is safe, no earlier one is needed.
        expect(through + 1).toBe(Math.min(readAtMs - marginMs, oldestIngestMs ?? Infinity, oldestPendingMs ?? Infinity));
      }),
      { numRuns: 500 },
    );
  });

  it('writes a time the checkpoint line takes and reads back unchanged', () => {
    fc.assert(
      fc.property(instant, fc.option(instant), (readAtMs, oldestPendingMs) => {
        const through = receivedThroughTime({ readAtMs, marginMs: 60_000, oldestIngestMs: null, oldestPendingMs });
        expect(receivedThroughOf({ extensions: [receivedThroughLine(through)] })).toBe(through);
      }),
      { numRuns: 200 },
    );
  });
});

const ORGANIZATIONS = ['acme', 'globex', 'initech'] as const;

/** A message past the ack floor as the scan may find it: an event, one whose payload names another organization, or no event at all. */
const pendingMessage = fc.record({
  subjectOrg: fc.constantFrom(...ORGANIZATIONS),
  payloadOrg: fc.constantFrom(...ORGANIZATIONS),
  receivedAtMs: instant,
  kind: fc.constantFrom('event', 'event', 'event', 'other-org', 'not-json', 'no-time', 'array'),
});
type Drawn = { subjectOrg: string; payloadOrg: string; receivedAtMs: number; kind: string };

function messageOf({ subjectOrg, payloadOrg, receivedAtMs, kind }: Drawn): PendingMessage {
  const subject = `audit.events.${subjectOrg}.LOGIN`;
  const receivedAt = new Date(receivedAtMs).toISOString();
  const text =
    kind === 'not-json'
      ? `{"organizationId":"${subjectOrg}","receivedAt":"${receivedAt}"`
      : kind === 'no-time'
        ? JSON.stringify({ organizationId: subjectOrg, receivedAt: 'yesterday' })
        : kind === 'array'
          ? JSON.stringify([{ receivedAt }])
          : JSON.stringify({ organizationId: kind === 'other-org' ? payloadOrg : subjectOrg, actionType: 'LOGIN', receivedAt, metadata: { receivedAt: '2999-01-01T00:00:00.000Z' } });
  return { subject, data: Buffer.from(text) };
}

describe('oldestReceivedByOrganization', () => {
  it("is, for each organization, the earliest receivedAt of the events that could be its own, so T stays before every one (property)", () => {
    fc.assert(
      fc.property(fc.array(pendingMessage, { maxLength: 60 }), instant, (drawn, readAtMs) => {
        const oldest = oldestReceivedByOrganization(drawn.map(messageOf));
        for (const organizationId of ORGANIZATIONS) {
          // An event counts for its subject's organization and for the one its payload names (consumers refuse it when they differ).
          const its = drawn.filter((d) => (d.kind === 'event' || d.kind === 'other-org') && (d.subjectOrg === organizationId || (d.kind === 'other-org' && d.payloadOrg === organizationId)));
          const expected = its.length === 0 ? undefined : Math.min(...its.map((d) => d.receivedAtMs));
          expect(oldest.get(organizationId)).toBe(expected);
          const through = Date.parse(receivedThroughTime({ readAtMs, marginMs: 60_000, oldestIngestMs: null, oldestPendingMs: oldest.get(organizationId) ?? null }));
          for (const d of its) expect(through).toBeLessThanOrEqual(d.receivedAtMs - 1);
        }
        expect([...oldest.keys()].every((o) => (ORGANIZATIONS as readonly string[]).includes(o))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('organizationOfSubject', () => {
  it('reads the organization of a canonical event subject, and of nothing else', () => {
    expect(organizationOfSubject('audit.events.acme.LOGIN')).toBe('acme');
    expect(organizationOfSubject('audit.events.acme')).toBeUndefined();
    expect(organizationOfSubject('audit.events.acme.LOGIN.x')).toBeUndefined();
    expect(organizationOfSubject('audit.events..LOGIN')).toBeUndefined();
    expect(organizationOfSubject('audit.dlq.sealer')).toBeUndefined();
    expect(organizationOfSubject('audit.ingest.acme.LOGIN')).toBeUndefined();
  });
});

describe('deadLetteredOrganizations', () => {
  it("is the organizations the dead letters' subjects name, or null (every organization withheld) when one names none (property)", () => {
    const subject = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...ORGANIZATIONS).map((org) => `audit.events.${org}.LOGIN`) },
      { weight: 1, arbitrary: fc.constantFrom(undefined, '', 'audit.events.acme', 'audit.ingest.acme', 'not a subject') },
    );
    fc.assert(
      fc.property(fc.array(subject, { maxLength: 20 }), (subjects) => {
        const organizations = deadLetteredOrganizations(subjects);
        const named = subjects.map((s) => (s === undefined ? undefined : organizationOfSubject(s)));
        if (named.some((o) => o === undefined)) expect(organizations).toBeNull();
        else expect([...(organizations ?? [])].sort()).toEqual([...new Set(named)].sort());
      }),
      { numRuns: 300 },
    );
  });
});
