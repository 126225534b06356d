import type { ComponentChildren } from 'preact';

export interface Column<T> {
  label: string;
  /** The header as shown, when it differs from the label (e.g. muted). */
  header?: ComponentChildren;
  cell: (row: T) => ComponentChildren;
  class?: string;
}

/**
 * A table that becomes one card per row on a narrow screen (staff.css), every
 * cell under its column's label, so nothing is cut off at 375 px. The roles
 * are explicit because browsers drop table semantics from restyled tables;
 * the per-cell labels are hidden from assistive technology, which has the
 * column headers.
 */
export function ReflowTable<T>(props: {
  caption?: ComponentChildren;
  label?: string;
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
}) {
  return (
    <table class="reflow" role="table" aria-label={props.label}>
      {props.caption && <caption class="muted">{props.caption}</caption>}
      <thead role="rowgroup">
        <tr role="row">
          {props.columns.map((c) => (
            <th scope="col" role="columnheader" key={c.label}>
              {c.header ?? c.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody role="rowgroup">
        {props.rows.map((r) => (
          <tr role="row" key={props.rowKey(r)}>
            {props.columns.map((c) => (
              <td role="cell" class={c.class} key={c.label}>
                <span class="cell-label" aria-hidden="true">
                  {c.label}
                </span>
                <span class="cell-value">{c.cell(r)}</span>
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
