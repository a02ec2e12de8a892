/** Who changes a setting, as the audit event records it: an administrator over the API, or an operator with the CLI. */
export interface SettingsActor {
  /** The administrator's token subject; null for the CLI, which has no platform user. */
  userId: string | null;
  ipAddress: string | null;
  via: 'api' | 'cli';
}
