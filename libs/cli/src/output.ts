/** Where a command writes: JSON for scripts (`--json`), plain lines for people. */
export interface Output {
  json: boolean;
  result(value: unknown, human: () => string[]): void;
}

export function createOutput(json: boolean, write: (text: string) => void = (t) => process.stdout.write(t)): Output {
  return {
    json,
    result(value, human) {
      write(json ? `${JSON.stringify(value)}\n` : `${human().join('\n')}\n`);
    },
  };
}

/** A mistake in how the command was called (exit 2): the message names the option and what it accepts. */
export class UsageError extends Error {}

/**
 * A verification where everything checked held but some events are vouched for by nothing (exit 3): their
 * lines say they were not yet sealed, which whoever edits a file can also write. A script that trusts exit 0
 * must not trust those events.
 */
export class NotVouchedError extends Error {}

/** A cell as a person reads it: NULL for nothing, JSON for objects, ISO-8601 for instants. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (value instanceof Date) return value.toISOString();
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * A plain text table: a header row, a rule, then the rows, each column as wide as its widest cell
 * (at most `maxWidth`, longer cells cut; the last one not padded). Lists print through it so every column is named.
 */
export function renderTable(columns: readonly string[], rows: ReadonlyArray<readonly unknown[]>, maxWidth = 80): string[] {
  const cells = rows.map((row) => columns.map((_, i) => cellText(row[i])));
  const widths = columns.map((c, i) => Math.min(maxWidth, Math.max(c.length, ...cells.map((r) => r[i].length))));
  // The last column is not padded: no line ends in spaces.
  const line = (values: readonly string[]): string => values.map((v, i) => v.slice(0, widths[i]).padEnd(widths[i])).join(' | ').trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('-+-'), ...cells.map(line)];
}
