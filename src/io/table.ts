/**
 * Opening a response file as a table of text cells, whatever its dialect: CSV or TSV in UTF-8 (with
 * or without BOM), UTF-16 LE/BE (BOM) or a named encoding; delimiter `,` `;` tab or `|`, detected
 * from the header line or given; quoted fields with delimiters, quotes and newlines; Qualtrics'
 * two extra header rows detected and skipped; `.xlsx` workbooks (first sheet or a named one).
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { inputError, usageError } from '../errors.js';
import { type CsvRecord, type CsvSource, csvFailure, findDuplicateHeaders, openInput } from './csv-read.js';
import { decodeStream } from './decode.js';
import { readXlsx } from './xlsx.js';

export interface ReadOptions {
  /** `,` `;` `\t` `|`; detected when not given. */
  delimiter?: string;
  /** A WHATWG encoding label; BOM or UTF-8 when not given. */
  encoding?: string;
  /** Decimal separator of numbers in cells; `,` is assumed when the delimiter is not a comma. */
  decimal?: ',' | '.';
  /** Worksheet of an .xlsx file (default: the first). */
  sheet?: string;
}

export interface Dialect {
  format: 'csv' | 'xlsx';
  delimiter: string;
  encoding: string;
  decimalComma: boolean;
}

export interface SkippedRow {
  line: number;
  reason: string;
}

export interface TableSource extends CsvSource {
  dialect: Dialect;
  /** Rows read but not data (e.g. Qualtrics' question-text and ImportId rows). */
  skipped: SkippedRow[];
}

export const DELIMITERS: Record<string, string> = { ',': ',', ';': ';', tab: '\t', '\\t': '\t', '\t': '\t', '|': '|' };

/** The most frequent candidate delimiter outside quotes in the first line; a comma when none occurs. */
export function detectDelimiter(text: string): string {
  const counts: Record<string, number> = { ',': 0, ';': 0, '\t': 0, '|': 0 };
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch in counts) counts[ch]!++;
  }
  let best = ',';
  for (const d of [',', ';', '\t', '|']) if (counts[d]! > counts[best]!) best = d;
  return best;
}

const IMPORT_ID = /^\{\s*"ImportId"\s*:/;
const isImportIdRow = (r: CsvRecord): boolean => r.fields.some((f) => IMPORT_ID.test(f.trim()));

/** Qualtrics writes question texts and then `{"ImportId":…}` cells under the header: both are skipped. */
export function qualtricsHeaderRows(first: readonly CsvRecord[]): number {
  if (first[1] && isImportIdRow(first[1])) return 2;
  if (first[0] && isImportIdRow(first[0])) return 1;
  return 0;
}

async function* withFirst(first: string[], rest: AsyncIterator<string>): AsyncGenerator<string> {
  yield* first;
  for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value;
}

export async function openTable(path: string, stdin: Readable, opts: ReadOptions = {}): Promise<TableSource> {
  if (opts.delimiter !== undefined && DELIMITERS[opts.delimiter] === undefined) {
    throw usageError('BAD_DELIMITER', `--delimiter must be one of , ; tab |, not "${opts.delimiter}"`);
  }
  const { name, stream } = await openInput(path, stdin);
  if (path !== '-' && path.toLowerCase().endsWith('.xlsx')) {
    stream.destroy();
    return readXlsx(path, opts.sheet, opts.decimal === ',');
  }
  if (opts.sheet !== undefined) throw usageError('SHEET_WITHOUT_XLSX', '--sheet is for .xlsx workbooks');

  let encoding = 'utf-8';
  const text = decodeStream(stream as AsyncIterable<Buffer | string>, name, opts.encoding, (d) => (encoding = d.encoding));
  // Read ahead until the header line is complete, to choose the delimiter.
  const head: string[] = [];
  let seen = '';
  const it = text[Symbol.asyncIterator]();
  while (!/[\r\n]/.test(seen) && seen.length < 1 << 20) {
    const r = await it.next();
    if (r.done) break;
    head.push(r.value);
    seen += r.value;
  }
  if (seen.startsWith('PK\u0003\u0004')) {
    throw inputError('CSV_BINARY', `${name} looks like a zipped workbook (.xlsx), not a CSV file`, { location: { file: name, line: 1 }, hint: 'give it a name ending in .xlsx, or save the sheet as CSV' });
  }
  const delimiter = opts.delimiter !== undefined ? DELIMITERS[opts.delimiter]! : detectDelimiter(seen);
  const decimalComma = opts.decimal !== undefined ? opts.decimal === ',' : delimiter !== ',';

  const parser = parse({ delimiter, info: true, skip_empty_lines: true, relax_column_count: false, bom: true });
  const source = Readable.from(withFirst(head, it));
  source.on('error', (err) => parser.destroy(err));
  source.pipe(parser);
  const records = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; info: { lines: number } }>;
  let bytes = 0;
  stream.on('data', (c: Buffer | string) => (bytes += typeof c === 'string' ? Buffer.byteLength(c) : c.length));

  let lastEnd = 0;
  const next = async (): Promise<CsvRecord | undefined> => {
    let r;
    try {
      r = await records.next();
    } catch (err) {
      // csv-parse reports an unclosed quote where the file ends; the record starts after the last good one.
      throw csvFailure(err, name, (err as { code?: string }).code === 'CSV_QUOTE_NOT_CLOSED' ? lastEnd + 1 : undefined);
    }
    if (r.done) return undefined;
    const { record, info } = r.value;
    lastEnd = info.lines;
    let embedded = 0;
    for (const f of record) for (let i = f.indexOf('\n'); i !== -1; i = f.indexOf('\n', i + 1)) embedded++;
    return { fields: record, line: info.lines - embedded };
  };

  const header = await next();
  if (!header) throw inputError('CSV_EMPTY', `${name} is empty: there is no header row`, { location: { file: name }, hint: 'export the data again with a header row' });
  const dups = findDuplicateHeaders(header.fields);
  if (dups.length > 0) {
    throw inputError('CSV_DUPLICATE_HEADER', `${name} has duplicate column names: ${dups.join(', ')}`, { location: { file: name, line: header.line }, hint: 'rename the columns so every name is unique' });
  }
  const ahead: CsvRecord[] = [];
  for (let i = 0; i < 2; i++) {
    const r = await next();
    if (r) ahead.push(r);
  }
  const skip = qualtricsHeaderRows(ahead);
  const skipped = ahead.slice(0, skip).map((r, i) => ({ line: r.line, reason: i === 0 && skip === 2 ? 'Qualtrics question-text row' : 'Qualtrics ImportId row' }));
  const data = ahead.slice(skip);
  if (data.length === 0) {
    const r = await next();
    if (r) data.push(r);
  }
  if (data.length === 0) {
    throw inputError('CSV_NO_ROWS', `${name} has a header but no data rows${skip > 0 ? ' (after the Qualtrics header rows)' : ''}`, { location: { file: name, line: header.line }, hint: 'is this the right file? an export with no responses has nothing to score' });
  }
  async function* all(): AsyncGenerator<CsvRecord> {
    yield* data;
    for (let r = await next(); r; r = await next()) yield r;
  }
  return {
    name,
    header: header.fields,
    headerLine: header.line,
    records: all(),
    bytesRead: () => bytes,
    dialect: { format: 'csv', delimiter, encoding, decimalComma },
    skipped,
  };
}
