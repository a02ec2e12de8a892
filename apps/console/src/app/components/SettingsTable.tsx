import type { ReactNode } from 'react';
import type { RequestState } from '../use-request';
import { ErrorState, Spinner } from './states';

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

export interface SettingsTableProps<T> {
  /** The table's accessible name (the browser tests find it by this). */
  label: string;
  columns: ReadonlyArray<SettingsColumn<T>>;
  rows: readonly T[];
  rowKey: (row: T, index: number) => string;
  empty?: ReactNode;
}

/**
 * The table of a Settings list (keys, alerts, firings, saved searches, a stream's deliveries): a row per
 * item, `empty` in place of the rows when there is none. A table whose columns all have an empty header has
 * no header row.
 */
export function SettingsTable<T>({ label, columns, rows, rowKey, empty }: SettingsTableProps<T>) {
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

/**
 * A Settings list as loaded by `useRequest`: its heading, then the failure with a retry, or (once there is
 * data) the {@link SettingsTable} of `rows(data)`, or a spinner while the first load runs when `loading`
 * names it. Data from before a failed reload stays shown under the failure.
 */
export function SettingsList<D, T>({
  request,
  heading,
  what,
  loading,
  rows,
  ...table
}: Omit<SettingsTableProps<T>, 'rows'> & {
  request: RequestState<D> & { reload: () => void };
  /** A heading (h3) above the list. */
  heading?: string;
  /** What failed to load, as the error says it ("Alerts could not be loaded"). */
  what: string;
  /** The spinner's accessible name; no spinner without it. */
  loading?: string;
  rows: (data: D) => readonly T[];
}) {
  return (
    <>
      {heading && <h3>{heading}</h3>}
      {request.error && <ErrorState error={request.error} onRetry={request.reload} what={what} />}
      {request.data ? <SettingsTable rows={rows(request.data)} {...table} /> : !request.error && loading && <Spinner label={loading} />}
    </>
  );
}
