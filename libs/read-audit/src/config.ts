import { readConfig } from '@audit/platform';

export interface ReadAuditConfig {
  /** Record administrators' reads (console and API) as PAGE_VIEW events of pageName "audit". */
  auditReads: boolean;
  /** One record per distinct view per administrator per window of this length (aligned on the clock). */
  readViewWindowMs: number;
}

export const READ_AUDIT_CONFIG = Symbol('READ_AUDIT_CONFIG');

export const readReadAuditConfig = (source: Record<string, string | undefined> = process.env): ReadAuditConfig =>
  readConfig((env) => {
    const readViewWindowMs = env.duration('AUDIT_READ_WINDOW', '5m');
    if (readViewWindowMs < 1000) env.problem(`AUDIT_READ_WINDOW must be at least 1s (got ${readViewWindowMs} ms)`);
    return { auditReads: env.bool('AUDIT_READS', true), readViewWindowMs };
  }, source);
