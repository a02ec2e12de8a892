import * as contracts from './index';

describe('public API of @audit/contracts', () => {
  it('exports exactly the documented runtime values', () => {
    expect(Object.keys(contracts).sort()).toEqual(
      [
        'ACTION_TYPES',
        'ACTION_TYPE_GROUPS',
        'CLICKHOUSE_EVENT_COLUMNS',
        'CSV_EVENT_COLUMNS',
        'DESTINATION_TYPES',
        'EVENT_FIELDS',
        'EVENT_FIELD_NAMES',
        'LIMITS',
        'MAX_BATCH_EVENTS',
        'POSTGRES_EVENT_COLUMNS',
        'SECRET_FIELDS',
        'STREAM_FORMATS',
        'STREAM_STATUSES',
        'canonicalEventOf',
        'canonicalInstantMs',
        'claimAt',
        'erasedEvent',
        'eventJson',
        'eventMessageId',
        'metadataJson',
        'eventJsonSchema',
        'findPrototypeKey',
        'jsonMayHoldPrototypeKey',
        'isActionType',
        'isErasedBy',
        'isUuid',
        'mappedOrgAndRole',
        'parseIsoDateTime',
        'storableText',
        'storedTextProblem',
        'unstorableTextAt',
        'uuidv7',
        'validateBatch',
        'validateEvent',
      ].sort(),
    );
  });

  it('exposes the agreed limits', () => {
    expect(contracts.LIMITS).toEqual({
      maxMetadataBytes: 32768,
      maxMetadataDepth: 64,
      maxNameLength: 1024,
      minCreatedAtMs: 0,
      maxFutureSkewMs: 300000,
      organizationIdPattern: /^[A-Za-z0-9_-]{1,64}$/,
      maxUserIdLength: 256,
      maxEmailLength: 320,
      maxUserNameLength: 256,
      maxResponseTimeMs: 2147483647,
    });
    expect(Object.isFrozen(contracts.LIMITS)).toBe(true);
    expect(contracts.MAX_BATCH_EVENTS).toBe(1000);
  });

  it('round-trips a typed AuditEventInput into an AuditEvent', () => {
    const input: contracts.AuditEventInput = {
      organizationId: 'org',
      actionType: 'PAGE_VIEW',
      user: { email: 'a@b.c', userName: 'A' },
      createdAt: new Date('2026-01-01T00:00:00Z'),
    };
    const result = contracts.validateEvent(input, { now: new Date('2026-01-01T00:00:01Z') });
    expect(result.ok).toBe(true);
    const event: contracts.AuditEvent | undefined = result.ok ? result.event : undefined;
    // A stored event re-validated must come out identical (replays are idempotent).
    const again = contracts.validateEvent(
      { ...event, receivedAt: undefined },
      { now: new Date('2026-01-01T00:00:01Z') },
    );
    expect(again).toEqual({ ok: true, event });
  });
});
