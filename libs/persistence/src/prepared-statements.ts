import { createHash } from 'node:crypto';

/** Postgres' refusal to run a prepared statement whose result changed type since it was prepared. */
export function isStalePreparedStatement(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '0A000' && typeof message === 'string' && /cached plan must not change result type/.test(message);
}

/** Distinct statement texts a process prepares at most: each is kept by every read connection that ran it. */
export const MAX_PREPARED_STATEMENTS = 256;

/**
 * Names for statements Postgres keeps prepared per connection (pg's `name`): a named statement is parsed
 * once per connection, and may be planned once (Postgres switches to a generic plan after five custom ones
 * when it costs no more), rather than both on every run. The name is derived from the text alone (pg refuses
 * one name for two texts on a connection), and only the first {@link MAX_PREPARED_STATEMENTS} distinct
 * texts get one: a search's text varies with its terms' structure, and each prepared statement holds
 * memory in every backend that ran it until the connection closes. The others run unnamed, as before.
 */
export class PreparedStatementNames {
  private readonly names = new Map<string, string>();
  private generation = 0;

  constructor(private readonly max = MAX_PREPARED_STATEMENTS) {}

  /** The name of `text`, or undefined once the process holds `max` other texts. */
  nameOf(text: string): string | undefined {
    const known = this.names.get(text);
    if (known !== undefined || this.names.size >= this.max) return known;
    const name = `r${this.generation}_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    this.names.set(text, name);
    return name;
  }

  /**
   * Gives every text a new name from now on. For a statement Postgres can no longer run as prepared (its
   * result's columns changed type under it, a migration of another replica): the connections that hold the
   * old name would refuse it until they close, so it is prepared again under the new one.
   */
  renameAll(): void {
    this.generation++;
    this.names.clear();
  }

  get size(): number {
    return this.names.size;
  }
}
