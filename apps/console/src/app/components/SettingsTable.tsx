import type { ReactNode } from 'react';

/** One column of a {@link SettingsTable}. */
export interface SettingsColumn<T> {
  /** The header; empty for the column of a row's buttons. */
  header: string;
  cell: (row: T) => ReactNode;
  /** The row's buttons, laid out side by side. */
  actions?: boolean;
  className?: string;
  /** A tooltip on the cell (the full text of a shortened value). */
  title?: (row: T) => string | undefined;
}

/**
 * The table of a Settings list (keys, alerts, firings, saved searches, a stream's deliveries): a row per
 * item, `empty` in place of the rows when there is none. A table whose columns all have an empty header has
 * no header row.
 */
export function SettingsTable<T>({
  label,
  columns,
  rows,
  rowKey,
  empty,
}: {
  /** The table's accessible name (the browser tests find it by this). */
  label: string;
  columns: ReadonlyArray<SettingsColumn<T>>;
  rows: readonly T[];
  rowKey: (row: T, index: number) => string;
  empty?: ReactNode;
}) {
  return (
    <table className="settings-table" aria-label={label}>
      {columns.some((c) => c.header) && (
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={i} scope="col">
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
      )}
      <tbody>
        {rows.length === 0 && empty && (
          <tr>
            <td colSpan={columns.length} className="muted">
              {empty}
            </td>
          </tr>
        )}
        {rows.map((row, index) => (
          <tr key={rowKey(row, index)}>
            {columns.map((c, i) => (
              <td key={i} className={[c.actions ? 'row-actions' : '', c.className ?? ''].join(' ').trim() || undefined} title={c.title?.(row)}>
                {c.cell(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
