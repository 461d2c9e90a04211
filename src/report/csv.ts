/**
 * CSV text for every table rapport writes, with spreadsheet formula injection neutralised: a text
 * cell that starts with =, +, -, @, a tab or a carriage return gets a leading ' (OWASP, "CSV
 * Injection"), so Excel or LibreOffice show it instead of running it. Numbers (-1.5, +3, 1e3)
 * are left as they are. Pure.
 */
import { stringify } from 'csv-stringify/sync';

const NUMERIC = /^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$/;
const DANGEROUS = /^[=+\-@\t\r]/;

export function escapeFormula(cell: string): string {
  return DANGEROUS.test(cell) && !NUMERIC.test(cell) ? `'${cell}` : cell;
}

export function toCsv(rows: readonly (readonly string[])[], escapeFormulas = true): string {
  return stringify(rows as string[][], escapeFormulas ? { cast: { string: escapeFormula } } : {});
}

/** One CSV field: quoted when it holds a comma, quote or line break (RFC 4180), formula-escaped if asked. */
export function csvField(cell: string, escapeFormulas = true): string {
  const v = escapeFormulas ? escapeFormula(cell) : cell;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
