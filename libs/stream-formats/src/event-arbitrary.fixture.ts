import fc from 'fast-check';
import { ACTION_TYPES, findPrototypeKey, type AuditEvent } from '@audit/contracts';

/** Text a receiver's parser must survive: CEF's and JSON's special characters, line breaks, any Unicode. */
export const hostileText = (options: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof(fc.constantFrom('|', '\\', '=', '\n', '\r', '\r\n', ' ', '"', '\t', '\u2028', 'é', '😀', '\\='), fc.string({ unit: 'binary', maxLength: 4 })), {
      maxLength: options.maxLength ?? 12,
    })
    .map((parts) => parts.join(''))
    // The contract refuses NUL in text.
    .filter((s) => s.length >= (options.minLength ?? 0) && !s.includes('\u0000'));

const nullable = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null });
const instant = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }).map((ms) => new Date(ms).toISOString());

/** Any canonical event, as the contract allows it, with hostile text wherever text goes. */
export const auditEventArbitrary: fc.Arbitrary<AuditEvent> = fc.record({
  schemaVersion: fc.constant(1 as const),
  id: fc.uuid().map((id) => id.toLowerCase()),
  organizationId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  actionType: fc.constantFrom(...ACTION_TYPES),
  userId: nullable(hostileText({ minLength: 1 })),
  user: nullable(fc.record({ email: fc.tuple(hostileText(), hostileText()).map(([a, b]) => `${a}@${b}`), userName: hostileText() })),
  ipAddress: nullable(fc.oneof(fc.ipV4(), fc.ipV6())),
  responseTimeMs: nullable(fc.integer({ min: 0, max: 2_147_483_647 })),
  pageName: nullable(hostileText()),
  queryName: nullable(hostileText()),
  resourceName: nullable(hostileText()),
  metadata: fc.oneof(
    fc.dictionary(hostileText(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    fc.record({ targetUser: hostileText(), group: hostileText(), workflowId: hostileText() }),
    fc.record({ query: hostileText(), headers: fc.dictionary(fc.constantFrom('user-agent', 'User-Agent', 'x-request-id'), hostileText()) }),
  )
    // Metadata always arrives as JSON (over HTTP or the bus), so it holds no -0 or undefined.
    .map((m) => JSON.parse(JSON.stringify(m)) as Record<string, unknown>)
    // fast-check draws "__proto__" and "constructor" among keys on purpose; the contract refuses them at any depth.
    .filter((m) => findPrototypeKey(m, 'metadata') === undefined),
  createdAt: instant,
  receivedAt: instant,
});
