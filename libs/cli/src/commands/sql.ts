import { Option, type Command } from 'commander';
import { openClickHouse, readClickHouseConfig } from '@audit/clickhouse';
import { action, NEEDS, type CliSession } from '../cli-context';
import { renderTable } from '../output';

const FORMATS = ['table', 'csv', 'json'] as const;
type Format = (typeof FORMATS)[number];

/**
 * `sql "<query>" [--format table|csv|json]`: read-only SQL against the configured ClickHouse (embedded or
 * server). The `readonly` setting makes the server refuse anything that writes, whatever the text says.
 * ClickHouse alone is opened: no Postgres, no Nest context, no migration.
 */
export function sqlCommand(program: Command, session: CliSession): void {
  program
    .command('sql')
    .description('read-only SQL on the ClickHouse projection (embedded chDB or CLICKHOUSE_URL)')
    .argument('<query>', 'one SELECT (quote it)')
    .addOption(new Option('--format <format>', 'output format (default: table, or json with --json)').choices(FORMATS))
    .addHelpText(
      'after',
      '\nExamples:\n  $ npm run cli -- sql "SELECT actionType, count() AS n FROM audit_events GROUP BY actionType ORDER BY n DESC"\n  $ npm run cli -- sql "SELECT * FROM audit_events LIMIT 10" --format csv',
    )
    .action(
      action<{ format?: Format }>(session, NEEDS.nothing, async ({ options, positionals: [query], out }) => {
        const format = options.format ?? (out.json ? 'json' : 'table');
        const { client } = await openClickHouse(readClickHouseConfig());
        try {
          const settings = { readonly: '1', output_format_json_quote_64bit_integers: 0 } as const;
          if (format === 'csv') {
            const result = await client.query({ query, format: 'CSVWithNames', clickhouse_settings: settings });
            session.io.stdout(await result.text());
            return;
          }
          const result = await client.query({ query, format: 'JSONEachRow', clickhouse_settings: settings });
          const rows = await result.json<Record<string, unknown>>();
          session.io.stdout(format === 'json' ? `${JSON.stringify(rows)}\n` : `${tableOf(rows)}\n`);
        } finally {
          await client.close();
        }
      }),
    );
}

/** Rows as a table with their column names, and how many there were. */
export function tableOf(rows: Array<Record<string, unknown>>): string {
  if (rows.length === 0) return '(no rows)';
  const columns = Object.keys(rows[0]);
  const lines = renderTable(columns, rows.map((r) => columns.map((c) => r[c])));
  return [...lines, `(${rows.length} row${rows.length === 1 ? '' : 's'})`].join('\n');
}
