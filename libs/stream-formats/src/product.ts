/**
 * How the platform names itself to a receiver (OCSF `metadata.product`, the CEF header's vendor and product,
 * ECS `observer`). The version a receiver sees is the event's schema version, which is what decides the
 * shape of what it parses.
 */
export const PRODUCT = Object.freeze({ vendor: 'Audit trail', name: 'Audit trail' });
