// Roster CSV in, enrollment codes CSV out (RFC 4180 quoting).

/** Parses CSV text into rows of cells (quoted fields, "" escapes, CRLF or LF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // byte-order mark
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',' || c === ';' || c === '\t') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

const HEADER_NAMES = new Set(['employee_id', 'employee id', 'employeeid', 'employee', 'id']);

export interface RosterParse {
  ids: string[];
  duplicates: string[];
  invalid: string[];
}

/** Employee ids from the first column; a header row is skipped; blank lines ignored. */
export function rosterFromCsv(text: string): RosterParse {
  const rows = parseCsv(text).filter((r) => r.some((c) => c.trim() !== ''));
  if (rows.length && HEADER_NAMES.has(rows[0][0].trim().toLowerCase())) rows.shift();
  const seen = new Set<string>();
  const ids: string[] = [];
  const duplicates: string[] = [];
  const invalid: string[] = [];
  for (const r of rows) {
    const id = r[0].trim();
    if (!isEmployeeId(id)) {
      invalid.push(id);
      continue;
    }
    if (seen.has(id)) duplicates.push(id);
    else {
      seen.add(id);
      ids.push(id);
    }
  }
  return { ids, duplicates, invalid };
}

/** 1..128 printable characters, no newline (PROTOCOL.md §2). */
export function isEmployeeId(id: string): boolean {
  const n = [...id].length;
  return n >= 1 && n <= 128 && !/[\u0000-\u001f\u007f]/.test(id);
}

function csvCell(v: string): string {
  // A leading = + - @ makes spreadsheets evaluate a cell; neutralise it.
  const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n;]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function toCsv(rows: string[][]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
