import type { INestApplicationContext } from '@nestjs/common';
import { ClickHouse } from '@audit/clickhouse';
import { UsageError, type Output } from '../output';

const FORMATS = ['table', 'csv', 'json'] as const;

/**
 * `sql "<query>" [--format table|csv|json]`: read-only SQL against the configured ClickHouse (embedded or
 * server). The `readonly` setting makes the server refuse anything that writes, whatever the text says.
 */
export async function sqlCommand(context: () => Promise<INestApplicationContext>, query: string | undefined, values: Record<string, string | boolean | undefined>, out: Output, write: (text: string) => void = (t) => process.stdout.write(t)): Promise<void> {
  if (!query) throw new UsageError('usage: sql "<query>" [--format table|csv|json]');
  const format = typeof values['format'] === 'string' ? values['format'] : out.json ? 'json' : 'table';
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
  const ch = (await context()).get(ClickHouse);
  const settings = { readonly: '1', output_format_json_quote_64bit_integers: 0 } as const;
  if (format === 'csv') {
    const result = await ch.client.query({ query, format: 'CSVWithNames', clickhouse_settings: settings });
    write(await result.text());
    return;
  }
  const result = await ch.client.query({ query, format: 'JSONEachRow', clickhouse_settings: settings });
  const rows = await result.json<Record<string, unknown>>();
  if (format === 'json') {
    write(`${JSON.stringify(rows)}\n`);
    return;
  }
  write(`${renderTable(rows)}\n`);
}

/** A plain text table, columns sized to their widest cell. */
export function renderTable(rows: Array<Record<string, unknown>>): string {
  if (rows.length === 0) return '(no rows)';
  const columns = Object.keys(rows[0]);
  const cell = (v: unknown): string => (v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = columns.map((c) => Math.min(80, Math.max(c.length, ...rows.map((r) => cell(r[c]).length))));
  const line = (values: string[]): string => values.map((v, i) => v.slice(0, widths[i]).padEnd(widths[i])).join(' | ');
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n') + `\n(${rows.length} row${rows.length === 1 ? '' : 's'})`;
}
