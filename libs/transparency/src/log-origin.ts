/**
 * The log origin of an organization, the first line of its checkpoints: `<prefix>/<organizationId>`, the
 * prefix being the sealer's SEAL_LOG_ORIGIN. Every organization's log is signed with the same key, so the
 * origin is what tells one organization's checkpoint from another's.
 */
export const logOrigin = (originPrefix: string, organizationId: string): string => `${originPrefix}/${organizationId}`;

/**
 * Whether `origin` is the log of `organizationId` under some prefix: a verifier holding a bundle or a
 * checkpoint knows the organization, not the SEAL_LOG_ORIGIN it was signed under.
 */
export const isLogOriginOf = (origin: string, organizationId: string): boolean =>
  organizationId !== '' && origin.length > organizationId.length + 1 && origin.endsWith(`/${organizationId}`);
