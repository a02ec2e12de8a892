import { LIMITS } from '@audit/contracts';

export const ROLES = ['admin', 'member'] as const;
export type Role = (typeof ROLES)[number];

/** Who an admin bearer token speaks for. */
export interface TokenPrincipal {
  organizationId: string;
  role: Role;
  /** The user id of the token's subject, when the token names one. */
  userId: string | null;
}

/** A token that must not be admitted; the message names the claim at fault. */
export class InvalidTokenError extends Error {}

// C0 and C1 controls and DEL: a subject holding them cannot be shown or logged faithfully.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// A high surrogate not followed by a low one, or a low one not preceded by a high one (no `u` flag: code units).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why `sub` cannot be the `userId` of the events that record this administrator's reads, or undefined
 * when it can. The subject becomes the actor of every PAGE_VIEW, PAGE_EXPORT and UPDATE_ORGANIZATION
 * event the token causes, so it must pass the event contract's `userId` rule (1 to
 * {@link LIMITS.maxUserIdLength} characters) and, stricter, hold no control character and no lone
 * UTF-16 surrogate (which Postgres `jsonb` and `text` refuse).
 */
export function subjectProblem(sub: unknown): string | undefined {
  if (typeof sub !== 'string') return `must be a string (got ${sub === null ? 'null' : typeof sub})`;
  if (sub.length === 0) return 'must not be empty';
  if (sub.length > LIMITS.maxUserIdLength) return `must be at most ${LIMITS.maxUserIdLength} characters (got ${sub.length})`;
  if (CONTROL.test(sub)) return 'must not contain control characters (such as NUL)';
  if (LONE_SURROGATE.test(sub)) return 'must not contain a lone UTF-16 surrogate';
  return undefined;
}

const invalid = (claim: string, reason: string): InvalidTokenError => new InvalidTokenError(`token claim "${claim}" ${reason}`);

/**
 * Reads the principal from the claims of a token whose signature has been verified, refusing what the
 * platform cannot honour: a token that never expires or outlives `maxLifetimeSeconds` (measured from
 * `iat`, and from now, so neither a missing nor a future `iat` stretches it), an `org` that is not an
 * organization id, an unknown `role`, a `sub` that cannot be recorded as the actor of an event.
 */
export function principalOf(claims: Record<string, unknown>, nowSeconds: number, maxLifetimeSeconds: number): TokenPrincipal {
  const { exp, iat, org, role, sub } = claims;
  if (exp === undefined) throw invalid('exp', 'is required: admin tokens must expire');
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw invalid('exp', 'must be a number of seconds');
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) throw invalid('iat', 'must be a number of seconds');
  const from = Math.min(nowSeconds, typeof iat === 'number' ? iat : nowSeconds);
  if (exp - from > maxLifetimeSeconds) {
    throw invalid('exp', `is more than the longest token lifetime of ${maxLifetimeSeconds}s (AUTH_MAX_TOKEN_LIFETIME) after "iat" or now`);
  }
  if (typeof org !== 'string' || !LIMITS.organizationIdPattern.test(org)) {
    throw invalid('org', `must be an organization id matching ${String(LIMITS.organizationIdPattern)}`);
  }
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw invalid('role', `must be one of ${ROLES.join(', ')}`);
  if (sub === undefined) return { organizationId: org, role: role as Role, userId: null };
  const problem = subjectProblem(sub);
  if (problem) throw invalid('sub', problem);
  return { organizationId: org, role: role as Role, userId: sub as string };
}
