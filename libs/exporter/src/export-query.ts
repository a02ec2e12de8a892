import { escapeLiteral } from 'pg';
import { CSV_EVENT_COLUMNS, EVENT_FIELDS, type EventField } from '@audit/contracts';
import { eventFilterSql, type EventFilter } from '@audit/event-filter';
import { LEAF_BYTES } from '@audit/persistence';

/**
 * A cell a spreadsheet would run as a formula starts with one of = + - @ tab or CR; it is neutralised by a
 * leading single quote (OWASP's CSV-injection advice). Done in SQL, so Postgres's own text of a value (not
 * only what an emitter sent) is covered, and no row has to be parsed in JavaScript. `ascii()` (the first
 * character's code: = 61, + 43, - 45, @ 64, tab 9, CR 13) compares integers, cheaper per row than text.
 */
const neutralised = (expr: string): string => `CASE WHEN ascii(${expr}) IN (61, 43, 45, 64, 9, 13) THEN '''' || ${expr} ELSE ${expr} END`;

/** ISO-8601 UTC with milliseconds, as the API shows timestamps. */
const isoUtc = (expr: string): string => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** What an export file holds: RFC 4180 CSV with a header, or JSON lines (one event object per line). */
export const EXPORT_FORMATS = ['csv', 'jsonl', 'bundle'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The user's e-mail and name at export time (from users), beside userId, so a file reads without a join. */
const USER_COLUMNS = ['userEmail', 'userName'] as const;
const USER_CELLS: Record<(typeof USER_COLUMNS)[number], string> = { userEmail: 'u.email', userName: 'u."userName"' };

/** The export's CSV header (and the keys of each JSON line): the event table's CSV columns, the user's e-mail and name after userId. */
export const EXPORT_COLUMNS: readonly string[] = CSV_EVENT_COLUMNS.flatMap((c) => (c === 'userId' ? [c, ...USER_COLUMNS] : [c]));

/**
 * One CSV cell per field the table gives a CSV column, by kind: text is neutralised, times are ISO UTC,
 * ids and numbers cannot start a formula. jsonb's text always starts with "{" for the objects stored here;
 * neutralising it too costs nothing and keeps the rule true of every cell.
 */
function exportCell(field: EventField): string {
  if (field.postgres === null) throw new Error(`the event table gives ${field.name} a CSV column but no column of audit_trail_events`);
  const column = `a."${field.postgres}"`;
  switch (field.kind) {
    case 'uuid':
    case 'integer':
      return `${column} AS "${field.csv}"`;
    case 'instant':
      return `${isoUtc(column)} AS "${field.csv}"`;
    case 'json':
      return `${neutralised(`${column}::text`)} AS "${field.csv}"`;
    case 'organizationId':
    case 'actionType':
    case 'text':
    case 'ip':
      return `${neutralised(column)} AS "${field.csv}"`;
    case 'schemaVersion':
    case 'user':
      throw new Error(`the event table gives ${field.name} a CSV column, which the export has no cell for`);
  }
}

const CSV_FIELDS = EVENT_FIELDS.filter((f) => f.csv !== null);

const SELECT_LIST = CSV_FIELDS.flatMap((f) =>
  f.csv === 'userId' ? [exportCell(f), ...USER_COLUMNS.map((c) => `${neutralised(USER_CELLS[c])} AS "${c}"`)] : [exportCell(f)],
).join(',\n       ');

/** One JSON line's value for a field: times as ISO UTC text, metadata as the object it is, the rest as stored (no CSV neutralising). */
function jsonValue(field: EventField): string {
  if (field.postgres === null) throw new Error(`the event table gives ${field.name} a CSV column but no column of audit_trail_events`);
  const column = `a."${field.postgres}"`;
  return field.kind === 'instant' ? isoUtc(column) : column;
}

const JSON_OBJECT = `json_build_object(${CSV_FIELDS.flatMap((f) =>
  f.csv === 'userId' ? [`'${f.csv}', ${jsonValue(f)}`, ...USER_COLUMNS.map((c) => `'${c}', ${USER_CELLS[c]}`)] : [`'${f.csv}', ${jsonValue(f)}`],
).join(', ')})`;

// The user snapshot of the event's own organization (user ids are the emitters' and may repeat across tenants).
const USER_JOIN = `LEFT JOIN users u ON u.id = a."userId" AND u."organizationId" = a."organizationId"`;

/** `SELECT count(*)` of the export's rows, with bind parameters, for the progress total. */
export function exportCountQuery(organizationId: string, filter: EventFilter): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const where = eventFilterSql(organizationId, filter, values, 'a');
  return { text: `SELECT count(*)::bigint AS n FROM audit_trail_events a WHERE ${where}`, values };
}

/**
 * The export as one `COPY (SELECT …) TO STDOUT` statement, newest event first (as the console lists them).
 * CSV: `WITH (FORMAT csv, HEADER)`. JSON lines: one `json_build_object(…)` text per row, copied in CSV
 * mode with a quote and a delimiter (0x01, 0x02) that JSON text never holds raw (it escapes every control
 * character), so Postgres writes each object unquoted and unescaped, one per line.
 *
 * COPY takes no bind parameters, so the filter's values are inlined — safely: the condition text comes from
 * `eventFilterSql`, which only ever emits identifiers and `$n` placeholders, and each placeholder is
 * replaced in one pass (a value is never scanned again) by {@link sqlLiteral}, which renders strings
 * through pg's `escapeLiteral` and accepts only strings, finite numbers, valid dates and arrays of strings.
 * The statement also runs in a READ ONLY transaction, so even a mistake here could not modify anything.
 */
export function exportCopyQuery(organizationId: string, filter: EventFilter, format: ExportFormat = 'csv'): string {
  const values: unknown[] = [];
  const where = eventFilterSql(organizationId, filter, values, 'a');
  const inlined = where.replace(/\$(\d+)(?!\d)/g, (_match, n: string) => {
    const index = Number(n) - 1;
    if (index < 0 || index >= values.length) throw new Error(`filter SQL refers to missing parameter $${n}`);
    return sqlLiteral(values[index]);
  });
  const select = format === 'jsonl' ? `${JSON_OBJECT}::text` : SELECT_LIST;
  const options = format === 'jsonl' ? `(FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01')` : '(FORMAT csv, HEADER)';
  return `COPY (SELECT ${select}
  FROM audit_trail_events a ${USER_JOIN}
 WHERE ${inlined}
 ORDER BY a."createdAt" DESC, a.id DESC) TO STDOUT WITH ${options}`;
}

/** A parenthesised SQL literal of a filter value; anything but the types a filter holds is refused. */
export function sqlLiteral(value: unknown): string {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw new Error('a filter value may not contain NUL');
    return `(${escapeLiteral(value)})`;
  }
  if (typeof value === 'number' && Number.isFinite(value)) return `(${String(value)})`;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return `(${escapeLiteral(value.toISOString())}::timestamptz)`;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return `(ARRAY[${value.map((v) => sqlLiteral(v)).join(', ')}]::text[])`;
  }
  throw new Error(`cannot inline a filter value of type ${typeof value}`);
}

/**
 * The verifiable export's rows (format `bundle`), newest first, read through a cursor: for an event whose
 * leaf the checkpoint of `sealedSize` leaves covers, the leaf, its salt and user snapshot and the event's
 * content columns (the exporter writes the opening of the commitment from them); for any other, the
 * `jsonl` export's object as text. Bind parameters.
 */
export function exportBundleQuery(organizationId: string, filter: EventFilter, sealedSize: number): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const where = eventFilterSql(organizationId, filter, values, 'a');
  values.push(sealedSize);
  const covered = `l."leafIndex" < $${values.length}`;
  return {
    text: `SELECT CASE WHEN ${covered} THEN NULL ELSE ${JSON_OBJECT}::text END AS line, l."leafIndex", ${LEAF_BYTES('l')} AS leaf, l.salt, l."user",
       a."userId", a."ipAddress", a."responseTimeMs", a."pageName", a."queryName", a."resourceName", a.metadata
  FROM audit_trail_events a ${USER_JOIN}
  LEFT JOIN log_leaves l ON l."organizationId" = a."organizationId" AND l."eventId" = a.id
 WHERE ${where}
 ORDER BY a."createdAt" DESC, a.id DESC`,
    values,
  };
}
