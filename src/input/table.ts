/**
 * The one way rapport reads responses: a path or standard input becomes a table of text cells,
 * a batch of records at a time, whatever its dialect. A workbook (.xlsx) is read by
 * src/input/xlsx.ts, an SPSS system file (.sav, .zsav) by src/input/sav.ts; anything else is
 * text: its encoding is found (BOM, --encoding, else UTF-8), turned into UTF-8
 * (src/input/decode.ts), and parsed by the one CSV reader (src/input/csv-reader.ts). The
 * delimiter is detected from the header line unless given; Qualtrics' two extra header rows are
 * detected and skipped; every record must have the header's number of fields.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { inputError, usageError } from '../errors.js';
import type { FastBatch } from './csv-batch.js';
import { fastBatches, MAX_RECORD_BYTES } from './csv-reader.js';
import { canonicalEncoding, sniffBom, toUtf8 } from './decode.js';
import { ArrayBatch, ArrayRecord, findDuplicateHeaders, type RecordBatch, type Row } from './records.js';
import type { Dialect, ReadOptions, SkippedRow, TableSource } from './source.js';

export type { Dialect, ReadOptions, SkippedRow, TableSource };

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
const isImportIdRow = (r: Row): boolean => r.fields.some((f) => IMPORT_ID.test(f.trim()));

/** Qualtrics writes question texts and then `{"ImportId":…}` cells under the header: both are skipped. */
export function qualtricsHeaderRows(first: readonly Row[]): number {
  if (first[1] && isImportIdRow(first[1])) return 2;
  if (first[0] && isImportIdRow(first[0])) return 1;
  return 0;
}

/**
 * Bytes read from a file at a time. 256 KB measured as fast as 1 MB on a 1M-row file, with less
 * memory.
 */
const READ_CHUNK = 256 << 10;

/** Opens a path, or standard input for "-". Missing files and folders are unusable input (exit 3). */
async function openInput(path: string, stdin: Readable): Promise<{ name: string; stream: AsyncIterable<Buffer | string> }> {
  if (path === '-') return { name: '<stdin>', stream: stdin };
  let info;
  try {
    info = await stat(path);
  } catch {
    throw inputError('FILE_NOT_FOUND', `cannot read ${path}: no such file`, { location: { file: path }, hint: 'check the path, or use - to read standard input' });
  }
  if (info.isDirectory()) throw inputError('FILE_IS_DIRECTORY', `${path} is a directory, not a CSV file`, { location: { file: path } });
  return { name: path, stream: createReadStream(path, { highWaterMark: READ_CHUNK }) };
}

function raggedRowError(name: string, width: number) {
  return (r: Row, got: number) =>
    inputError('CSV_RAGGED_ROW', `cannot parse ${name}: line ${r.line} has ${got} field${got === 1 ? '' : 's'}, the header has ${width}`, {
      location: { file: name, line: r.line },
      hint: 'this row has a different number of fields than the header: look for an unquoted delimiter or a missing field',
    });
}

/** Records [from, end) of a batch (the batch object itself, narrowed). */
function sliceBatch(b: FastBatch, from: number, end: number): FastBatch {
  b.n = b.first + end;
  b.first += from;
  return b;
}

/** The records of a batch from `from` on, cut before the first of another width (then its error). */
function* checkedBatch(b: FastBatch, from: number, width: number, raggedRow: (r: Row, got: number) => Error): Generator<FastBatch> {
  let bad = -1;
  for (let j = from; j < b.length; j++) {
    if (b.fieldCount(j) !== width) {
      bad = j;
      break;
    }
  }
  // (Made before the slice: slicing moves the records.)
  const error = bad < 0 ? undefined : raggedRow(b.at(bad), b.fieldCount(bad));
  const end = bad < 0 ? b.length : bad;
  if (end > from) yield from === 0 && end === b.length ? b : sliceBatch(b, from, end);
  if (error) throw error;
}

export async function openTable(path: string, stdin: Readable, opts: ReadOptions = {}): Promise<TableSource> {
  if (opts.delimiter !== undefined && DELIMITERS[opts.delimiter] === undefined) {
    throw usageError('BAD_DELIMITER', `--delimiter must be one of , ; tab |, not "${opts.delimiter}"`);
  }
  if (path !== '-' && path.toLowerCase().endsWith('.xlsx')) {
    await openInput(path, stdin);
    // The workbook reader is loaded only when a workbook is read.
    const { readXlsx } = await import('./xlsx.js');
    return readXlsx(path, opts.sheet, opts.decimal === ',');
  }
  if (opts.sheet !== undefined) throw usageError('SHEET_WITHOUT_XLSX', '--sheet is for .xlsx workbooks');
  if (opts.valueLabels === true && !(path !== '-' && /\.z?sav$/i.test(path))) throw usageError('VALUE_LABELS_WITHOUT_SAV', '--value-labels is for SPSS .sav files', 'a CSV or workbook holds the answers as written: leave the option out');
  if (path !== '-' && /\.z?sav$/i.test(path)) {
    await openInput(path, stdin);
    // The SPSS reader too is loaded only when an SPSS file is read.
    const { readSav } = await import('./sav.js');
    return readSav(path, { valueLabels: opts.valueLabels === true });
  }
  const { name, stream } = await openInput(path, stdin);

  // The first bytes tell the encoding (a BOM) and whether this is a zipped workbook.
  const source = stream[Symbol.asyncIterator]();
  const firstChunks: Buffer[] = [];
  let peeked = 0;
  let ended = false;
  while (peeked < 4) {
    const r = await source.next();
    if (r.done) {
      ended = true;
      break;
    }
    const c = typeof r.value === 'string' ? Buffer.from(r.value, 'utf8') : r.value;
    firstChunks.push(c);
    peeked += c.length;
  }
  const head = Buffer.concat(firstChunks);
  if (/^\$FL[23]/.test(head.subarray(0, 4).toString('latin1'))) {
    throw inputError('CSV_BINARY', `${name} is an SPSS system file, not a CSV file`, { location: { file: name, line: 1 }, hint: path === '-' ? 'standard input is read as text: save the data to a file ending in .sav and give its path' : 'rename it to end in .sav (or .zsav, if zlib-compressed)' });
  }
  if (head.subarray(0, 4).equals(Buffer.from('PK\u0003\u0004', 'latin1'))) {
    throw inputError('CSV_BINARY', `${name} looks like a zipped workbook (.xlsx), not a CSV file`, { location: { file: name, line: 1 }, hint: 'give it a name ending in .xlsx, or save the sheet as CSV' });
  }
  const bom = sniffBom(head);
  const encoding = opts.encoding !== undefined ? canonicalEncoding(opts.encoding) : bom?.encoding ?? 'utf-8';
  let bytes = 0;
  async function* raw(): AsyncGenerator<Buffer> {
    // A BOM of the encoding being read is not text (a UTF-8 one is left to the reader, which drops it).
    const skip = bom && bom.encoding === encoding && encoding !== 'utf-8' ? bom.bomLength : 0;
    bytes += head.length;
    if (head.length > skip) yield head.subarray(skip);
    if (ended) return;
    for (let r = await source.next(); !r.done; r = await source.next()) {
      const c = typeof r.value === 'string' ? Buffer.from(r.value, 'utf8') : r.value;
      bytes += c.length;
      yield c;
    }
  }
  const utf8 = encoding === 'utf-8' ? raw() : toUtf8(raw(), encoding, name);

  // The first UTF-8 chunk holds (most of) the header line: the delimiter is found there.
  const first = await utf8.next();
  const sample = first.done ? '' : first.value.toString('utf8', 0, Math.min(first.value.length, 1 << 16)).replace(/^\uFEFF/, '');
  const delimiter = opts.delimiter !== undefined ? DELIMITERS[opts.delimiter]! : detectDelimiter(sample);
  async function* chunks(): AsyncGenerator<Buffer> {
    if (!first.done) yield first.value;
    yield* utf8;
  }
  const records = fastBatches(chunks(), { name, delimiter: delimiter.charCodeAt(0), maxRecordBytes: opts.maxRecordBytes ?? MAX_RECORD_BYTES })[Symbol.asyncIterator]();
  const decimalComma = opts.decimal !== undefined ? opts.decimal === ',' : delimiter !== ',';

  // The header and the first rows one at a time (copied), then the rest a batch at a time.
  let current: FastBatch | undefined;
  let pos = 0;
  let width = -1;
  const raggedRow = (r: Row, got: number) => raggedRowError(name, width)(r, got);
  const next = async (): Promise<Row | undefined> => {
    while (!current || pos >= current.length) {
      const r = await records.next();
      if (r.done) return undefined;
      current = r.value;
      pos = 0;
    }
    const got = current.fieldCount(pos);
    const r = current.at(pos++);
    if (width >= 0 && got !== width) throw raggedRow(r, got);
    return new ArrayRecord([...r.fields], r.line);
  };

  const header = await next();
  if (!header) throw inputError('CSV_EMPTY', `${name} is empty: there is no header row`, { location: { file: name }, hint: 'export the data again with a header row' });
  const dups = findDuplicateHeaders(header.fields);
  if (dups.length > 0) {
    throw inputError('CSV_DUPLICATE_HEADER', `${name} has duplicate column names: ${dups.join(', ')}`, { location: { file: name, line: header.line }, hint: 'rename the columns so every name is unique' });
  }
  width = header.fields.length;
  const ahead: Row[] = [];
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
  async function* batches(): AsyncGenerator<RecordBatch> {
    yield new ArrayBatch(data);
    if (current && pos < current.length) yield* checkedBatch(current, pos, width, raggedRow);
    for (let r = await records.next(); !r.done; r = await records.next()) yield* checkedBatch(r.value, 0, width, raggedRow);
  }
  return {
    name,
    header: header.fields,
    headerLine: header.line,
    batches: batches(),
    bytesRead: () => bytes,
    dialect: { format: 'csv', delimiter, encoding, decimalComma },
    skipped,
  };
}
