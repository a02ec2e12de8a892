import fc from 'fast-check';
import { ACTION_TYPES } from '@audit/contracts';
import { ACTION_FORMATS, OCSF_CLASSES } from './action-formats';
import { auditEventArbitrary } from './event-arbitrary.fixture';
import { OCSF_VERSION, toOcsf } from './ocsf';
import { OCSF_SCHEMA_VERSION, ocsfActivityCaption, validateOcsfEvent } from './ocsf-validator.fixture';
import { sampleEvents } from './sample-events.fixture';

describe('OCSF', () => {
  it('follows the schema version whose definitions are vendored', () => {
    expect(OCSF_SCHEMA_VERSION).toBe(OCSF_VERSION);
  });

  it.each(sampleEvents().map((event) => [event.actionType, event] as const))('%s is a valid event of its class', (_type, event) => {
    const ocsf = toOcsf(event);
    expect(validateOcsfEvent(ocsf)).toEqual([]);
    expect((ocsf.metadata as { uid: string }).uid).toBe(event.id);
  });

  it('every event the contract allows is valid against the class definitions', () => {
    fc.assert(
      fc.property(auditEventArbitrary, (event) => {
        expect(validateOcsfEvent(toOcsf(event))).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps what an OCSF type cannot hold in unmapped: a loose e-mail, a 45-character IPv6 address', () => {
    const event = { ...sampleEvents()[3], user: { email: 'ada@localhost', userName: 'Ada' }, ipAddress: 'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255' };
    const ocsf = toOcsf(event);
    expect(validateOcsfEvent(ocsf)).toEqual([]);
    expect(ocsf.src_endpoint).toBeUndefined();
    expect(ocsf.unmapped).toMatchObject({ userEmail: 'ada@localhost', ipAddress: event.ipAddress });
    expect(ocsf.actor).toEqual({ user: { type_id: 1, type: 'User', uid: 'acme-user-1', name: 'Ada' } });
  });

  it('names each mapped activity as its class does (Other, 99, is named by the platform)', () => {
    for (const type of ACTION_TYPES) {
      const { ocsf } = ACTION_FORMATS[type];
      const caption = ocsfActivityCaption(OCSF_CLASSES[ocsf.class].uid, ocsf.activityId);
      expect({ type, caption }).toEqual({ type, caption: ocsf.activityId === 99 ? 'Other' : ocsf.activityName });
    }
  });

  describe('the validator', () => {
    const valid = toOcsf(sampleEvents()[0]);
    const broken = (change: (e: Record<string, any>) => void): string[] => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const copy = structuredClone(valid);
      change(copy);
      return validateOcsfEvent(copy);
    };

    it('refuses an attribute the class does not define', () => {
      expect(broken((e) => (e.organization = 'acme'))).toEqual(['$.organization: not an attribute of api_activity']);
    });
    it('refuses a missing required attribute, deep or not', () => {
      expect(broken((e) => delete e.api)).toContain('$.api: required by api_activity');
      expect(broken((e) => delete e.metadata.product)).toContain('$.metadata.product: required by metadata');
    });
    it('refuses an enum value the class does not have, and a caption that is not the id\'s', () => {
      expect(broken((e) => (e.activity_id = 7)).join()).toMatch(/7 is not a value of api_activity.activity_id/);
      expect(broken((e) => (e.severity = 'High'))).toEqual(['$.severity: "High" is not the caption "Informational" of severity_id 1']);
    });
    it('refuses values of the wrong type', () => {
      expect(broken((e) => (e.time = '2026-01-01'))).toEqual(['$.time: long_t expected, got 2026-01-01']);
      expect(broken((e) => (e.src_endpoint.ip = 'not-an-ip'))).toEqual(['$.src_endpoint.ip: ip_t expected, got not-an-ip']);
      expect(broken((e) => (e.actor.user.email_addr = 'no at sign'))).toEqual(['$.actor.user.email_addr: does not match email_t']);
    });
    it('refuses an unsatisfied constraint and a type_uid that does not derive from the class', () => {
      expect(broken((e) => (e.actor = {}))).toEqual(['$.actor: actor needs at least one of process, user, invoked_by, session, app_name, app_uid']);
      expect(broken((e) => (e.type_uid = 1))).toEqual(['$.type_uid: 1 is not class_uid * 100 + activity_id']);
    });
  });
});
