import { readConfig } from '@audit/platform';

export interface ReadAuditConfig {
  /** Record each administrator read (console and API) as a PAGE_VIEW event of pageName "audit". */
  auditReads: boolean;
}

export const READ_AUDIT_CONFIG = Symbol('READ_AUDIT_CONFIG');

export const readReadAuditConfig = (source: Record<string, string | undefined> = process.env): ReadAuditConfig =>
  readConfig((env) => ({ auditReads: env.bool('AUDIT_READS', true) }), source);
