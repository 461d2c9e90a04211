import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';

/** Rows of a CSV file or text as objects keyed by header. */
export function readCsvObjects(pathOrText: string, isText = false): Record<string, string>[] {
  const text = isText ? pathOrText : readFileSync(pathOrText, 'utf8');
  return parse(text, { columns: true, bom: true }) as Record<string, string>[];
}
