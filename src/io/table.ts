/**
 * Opening a response file as a table of text cells, whatever its dialect: CSV or TSV in UTF-8 (with
 * or without BOM), UTF-16 LE/BE (BOM) or a named encoding; delimiter `,` `;` tab or `|`, detected
 * from the header line or given; quoted fields with delimiters, quotes and newlines; Qualtrics'
 * two extra header rows detected and skipped; `.xlsx` workbooks (first sheet or a named one).
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { inputError, usageError } from '../errors.js';
import { ArrayBatch, batchRecords, type CsvRecord, type CsvSource, csvFailure, findDuplicateHeaders, openInput, type RecordBatch } from './csv-read.js';
import { TextDecoder } from 'node:util';
import { decodeStream, sniffBom } from './decode.js';
import { FastBatch, fastBatches, MAX_RECORD_BYTES, recordTooLong } from './fast-csv.js';

export interface ReadOptions {
  /** `,` `;` `\t` `|`; detected when not given. */
  delimiter?: string;
  /** A WHATWG encoding label; BOM or UTF-8 when not given. */
  encoding?: string;
  /** Decimal separator of numbers in cells; `,` is assumed when the delimiter is not a comma. */
  decimal?: ',' | '.';
  /** Worksheet of an .xlsx file (default: the first). */
  sheet?: string;
  /** The longest record accepted, in bytes (default 1 MB). */
  maxRecordBytes?: number;
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
  /** Batches are FastBatches (byte views, valid until the next batch is read). */
  fast?: boolean;
  /** Records read ahead after the header to look for Qualtrics rows (2 unless the file ends first). */
  ahead?: number;
  /** The record-size limit it was opened with, if not the default. */
  maxRecordBytes?: number;
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

/** Records of a text stream by csv-parse, with the line each starts on and errors as RapportErrors. */
async function* csvParseRecords(text: AsyncIterable<string>, name: string, delimiter: string, maxRecordBytes: number): AsyncGenerator<CsvRecord> {
  const parser = parse({ delimiter, info: true, skip_empty_lines: true, relax_column_count: true, bom: true, max_record_size: maxRecordBytes });
  const src = Readable.from(text);
  src.on('error', (err) => parser.destroy(err));
  src.pipe(parser);
  // Records are queued from 'data' events rather than read with the stream's async iterator, which
  // drops records already parsed when an error follows them (then the error's line would be wrong).
  type Parsed = { record: string[]; info: { lines: number } };
  const queue: Parsed[] = [];
  let failure: unknown;
  let ended = false;
  let wake: (() => void) | undefined;
  const signal = () => {
    wake?.();
    wake = undefined;
  };
  parser.on('data', (r: Parsed) => {
    queue.push(r);
    if (queue.length >= 1024) parser.pause();
    signal();
  });
  parser.on('error', (err) => {
    failure = err;
    signal();
  });
  parser.on('end', () => {
    ended = true;
    signal();
  });
  let head = 0;
  const records = {
    async next(): Promise<IteratorResult<Parsed>> {
      for (;;) {
        if (head < queue.length) {
          const value = queue[head++]!;
          if (head === queue.length) {
            queue.length = 0;
            head = 0;
            if (parser.isPaused()) parser.resume();
          }
          return { done: false, value };
        }
        if (failure !== undefined) throw failure;
        if (ended) return { done: true, value: undefined };
        await new Promise<void>((ok) => (wake = ok));
      }
    },
  };
  let lastEnd = 0;
  // csv-parse counts a CRLF inside quotes as two lines; rapport (like an editor) as one.
  let drift = 0;
  for (;;) {
    let r;
    try {
      r = await records.next();
    } catch (err) {
      // csv-parse reports an unclosed quote where the file ends; the record starts after the last good one.
      // Otherwise its line, less the CRLFs it counted twice in earlier records (not those in the failing one).
      const code = (err as { code?: string }).code;
      const at = (err as { lines?: number }).lines;
      if (code === 'CSV_MAX_RECORD_SIZE') throw recordTooLong(name, lastEnd + 1, maxRecordBytes);
      throw csvFailure(err, name, code === 'CSV_QUOTE_NOT_CLOSED' ? lastEnd + 1 : at === undefined ? undefined : at - drift);
    }
    if (r.done) return;
    const { record, info } = r.value;
    let counted = 0; // line breaks inside the fields as csv-parse counts them
    let crlf = 0;
    for (const f of record) {
      for (let i = 0; i < f.length; i++) {
        const c = f.charCodeAt(i);
        if (c === 0x0a) counted++;
        else if (c === 0x0d) {
          counted++;
          if (f.charCodeAt(i + 1) === 0x0a) {
            counted++;
            crlf++;
            i++;
          }
        }
      }
    }
    const line = info.lines - counted - drift;
    drift += crlf;
    lastEnd = info.lines - drift;
    yield { fields: record, line };
  }
}

/** The first record from `from` on whose number of fields is not `width`, or -1. */
function firstOtherWidth(b: RecordBatch, from: number, width: number): number {
  for (let j = from; j < b.length; j++) if (b.fieldCount(j) !== width) return j;
  return -1;
}

/** Records [from, end) of a batch. */
function sliceBatch(b: RecordBatch, from: number, end: number): RecordBatch {
  if (b instanceof FastBatch) {
    b.n = b.first + end;
    b.first += from;
    return b;
  }
  const out: CsvRecord[] = [];
  for (let j = from; j < end; j++) out.push(b.at(j));
  return new ArrayBatch(out);
}

async function* withFirst(first: string[], rest: AsyncIterator<string>): AsyncGenerator<string> {
  yield* first;
  for (let r = await rest.next(); !r.done; r = await rest.next()) yield r.value;
}

/** The records of a batch from `from` on, cut before the first of another width (then its error). */
function* checkedBatch(b: RecordBatch, from: number, width: number, raggedRow: (r: CsvRecord, got: number) => Error): Generator<RecordBatch> {
  const bad = firstOtherWidth(b, from, width);
  // (Made before the slice: slicing a fast batch moves its records.)
  const error = bad < 0 ? undefined : raggedRow(b.at(bad), b.fieldCount(bad));
  const end = bad < 0 ? b.length : bad;
  if (end > from) yield from === 0 && end === b.length ? b : sliceBatch(b, from, end);
  if (error) throw error;
}

function raggedRowError(name: string, width: number) {
  return (r: CsvRecord, got: number) =>
    inputError('CSV_RAGGED_ROW', `cannot parse ${name}: line ${r.line} has ${got} field${got === 1 ? '' : 's'}, the header has ${width}`, {
      location: { file: name, line: r.line },
      hint: 'this row has a different number of fields than the header: look for an unquoted delimiter or a missing field',
    });
}

/** Where a file is cut for reading in parts (src/parallel): the first part ends at `end`; `position` follows its reader. */
export interface FirstPart {
  end: number;
  position: { line: number };
}

/**
 * The data rows of bytes [start, end) of a UTF-8 file, read as openTable reads its rows (same
 * parser, width check and errors), `start` being the first byte of a record on line `line`.
 */
export async function* readPart(
  part: { path: string; name: string; start: number; end: number; line: number; width: number; delimiter: string; maxRecordBytes?: number },
  onBytes?: (bytesRead: number) => void,
): AsyncGenerator<RecordBatch> {
  const { stream } = await openInput(part.path, undefined as unknown as Readable, { start: part.start, end: part.end });
  const ragged = raggedRowError(part.name, part.width);
  let bytes = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      onBytes?.(bytes);
      yield chunk;
    }
  }
  const batches = fastBatches(counted(), { name: part.name, delimiter: part.delimiter.charCodeAt(0), line: part.line, offset: part.start, partOfFile: true, ...(part.maxRecordBytes === undefined ? {} : { maxRecordBytes: part.maxRecordBytes }) });
  for await (const b of batches) yield* checkedBatch(b, 0, part.width, ragged);
}

export async function openTable(path: string, stdin: Readable, opts: ReadOptions = {}, firstPart?: FirstPart): Promise<TableSource> {
  if (opts.delimiter !== undefined && DELIMITERS[opts.delimiter] === undefined) {
    throw usageError('BAD_DELIMITER', `--delimiter must be one of , ; tab |, not "${opts.delimiter}"`);
  }
  const { name, stream } = await openInput(path, stdin, firstPart && { end: firstPart.end });
  if (path !== '-' && path.toLowerCase().endsWith('.xlsx')) {
    stream.destroy();
    // ExcelJS takes ~0.4 s to load: only when a workbook is read.
    const { readXlsx } = await import('./xlsx.js');
    return readXlsx(path, opts.sheet, opts.decimal === ',');
  }
  if (opts.sheet !== undefined) throw usageError('SHEET_WITHOUT_XLSX', '--sheet is for .xlsx workbooks');

  // Peek at the first bytes: a UTF-8 file (BOM or none) takes the byte-level reader, others csv-parse.
  const source = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
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
  const head0 = Buffer.concat(firstChunks);
  let bytes = 0;
  async function* rest(): AsyncGenerator<Buffer | string> {
    bytes += head0.length;
    if (head0.length > 0) yield head0;
    if (ended) return;
    for (let r = await source.next(); !r.done; r = await source.next()) {
      bytes += typeof r.value === 'string' ? Buffer.byteLength(r.value) : r.value.length;
      yield r.value;
    }
  }
  const bom = sniffBom(head0);
  let label: string | undefined;
  if (opts.encoding !== undefined) {
    try {
      label = new TextDecoder(opts.encoding).encoding;
    } catch {
      throw inputError('ENCODING_UNKNOWN', `unknown encoding "${opts.encoding}"`, { hint: 'use a name such as utf-8, utf-16le, windows-1252 or latin1' });
    }
  }
  const fast = (label === undefined || label === 'utf-8') && (!bom || bom.encoding === 'utf-8');
  if (head0.subarray(0, 4).equals(Buffer.from('PK\u0003\u0004', 'latin1'))) {
    throw inputError('CSV_BINARY', `${name} looks like a zipped workbook (.xlsx), not a CSV file`, { location: { file: name, line: 1 }, hint: 'give it a name ending in .xlsx, or save the sheet as CSV' });
  }

  let encoding = 'utf-8';
  let delimiter: string;
  let records: AsyncIterator<RecordBatch>;
  if (fast) {
    const sample = head0.toString('utf8', 0, Math.min(head0.length, 1 << 16)).replace(/^\uFEFF/, '');
    delimiter = opts.delimiter !== undefined ? DELIMITERS[opts.delimiter]! : detectDelimiter(sample);
    records = fastBatches(rest(), { name, delimiter: delimiter.charCodeAt(0), ...(firstPart ? { position: firstPart.position } : {}), ...(opts.maxRecordBytes === undefined ? {} : { maxRecordBytes: opts.maxRecordBytes }) });
  } else {
    const text = decodeStream(rest(), name, opts.encoding, (d) => (encoding = d.encoding));
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
    delimiter = opts.delimiter !== undefined ? DELIMITERS[opts.delimiter]! : detectDelimiter(seen);
    records = batchRecords(csvParseRecords(withFirst(head, it), name, delimiter, opts.maxRecordBytes ?? MAX_RECORD_BYTES))[Symbol.asyncIterator]();
  }
  const decimalComma = opts.decimal !== undefined ? opts.decimal === ',' : delimiter !== ',';

  // The header and the first rows one at a time (copied), then the rest a batch at a time.
  let current: RecordBatch | undefined;
  let pos = 0;
  let width = -1;
  const raggedRow = (r: CsvRecord, got: number) => raggedRowError(name, width)(r, got);
  const next = async (): Promise<CsvRecord | undefined> => {
    while (!current || pos >= current.length) {
      const r = await records.next();
      if (r.done) return undefined;
      current = r.value;
      pos = 0;
    }
    const got = current.fieldCount(pos);
    const r = current.at(pos++);
    if (width >= 0 && got !== width) throw raggedRow(r, got);
    return { fields: [...r.fields], line: r.line };
  };

  const header = await next();
  if (!header) throw inputError('CSV_EMPTY', `${name} is empty: there is no header row`, { location: { file: name }, hint: 'export the data again with a header row' });
  const dups = findDuplicateHeaders(header.fields);
  if (dups.length > 0) {
    throw inputError('CSV_DUPLICATE_HEADER', `${name} has duplicate column names: ${dups.join(', ')}`, { location: { file: name, line: header.line }, hint: 'rename the columns so every name is unique' });
  }
  width = header.fields.length;
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
  /** A batch with its records of the wrong width cut off: the good ones are handed out, then the error. */
  const checked = (b: RecordBatch, from: number) => checkedBatch(b, from, width, raggedRow);
  async function* batches(): AsyncGenerator<RecordBatch> {
    yield new ArrayBatch(data);
    if (current && pos < current.length) yield* checked(current, pos);
    for (let r = await records.next(); !r.done; r = await records.next()) yield* checked(r.value, 0);
  }
  return {
    name,
    header: header.fields,
    headerLine: header.line,
    batches: batches(),
    bytesRead: () => bytes,
    dialect: { format: 'csv', delimiter, encoding, decimalComma },
    fast,
    skipped,
    ahead: ahead.length,
    ...(opts.maxRecordBytes === undefined ? {} : { maxRecordBytes: opts.maxRecordBytes }),
  };
}
