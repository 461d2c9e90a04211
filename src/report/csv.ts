/**
 * CSV text for every table rapport writes, with spreadsheet formula injection neutralised: a text
 * cell that starts with =, +, -, @, a tab or a carriage return gets a leading ' (OWASP, "CSV
 * Injection"), so Excel or LibreOffice show it instead of running it. Numbers (-1.5, +3, 1e3)
 * are left as they are. Pure.
 */

const NUMERIC = /^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$/;
const DANGEROUS = /^[=+\-@\t\r]/;

export function escapeFormula(cell: string): string {
  return DANGEROUS.test(cell) && !NUMERIC.test(cell) ? `'${cell}` : cell;
}

/** One CSV field: quoted when it holds a comma, quote or line break (RFC 4180), formula-escaped if asked. */
export function csvField(cell: string, escapeFormulas = true): string {
  const v = escapeFormulas ? escapeFormula(cell) : cell;
  return NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * Rows as CSV text, each ended by a line feed: the same text as csv-stringify with its defaults
 * (test/report/csv.test.ts compares them on random cells), without its per-cell option handling.
 */
export function toCsv(rows: readonly (readonly string[])[], escapeFormulas = true): string {
  let out = '';
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      if (i > 0) out += ',';
      out += csvField(row[i] ?? '', escapeFormulas);
    }
    out += '\n';
  }
  return out;
}
