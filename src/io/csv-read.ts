/**
 * Reading response CSVs as a stream of records with their file line numbers. The only place that
 * knows about csv-parse; its errors become RapportErrors with file, line and a hint (exit 3).
 * Memory does not grow with the number of rows.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { inputError, RapportError } from '../errors.js';

export interface CsvRecord {
  fields: string[];
  /** 1-based line of the file where the record starts. */
  line: number;
}

export interface CsvSource {
  /** What to call the input in messages: a path or "<stdin>". */
  name: string;
  header: string[];
  /** Line of the header row. */
  headerLine: number;
  records: AsyncIterable<CsvRecord>;
  /** Bytes of the input read so far (for progress). */
  bytesRead(): number;
}

/** Opens a path, or standard input for "-". Missing files and directories are unusable input (exit 3). */
export async function openInput(path: string, stdin: Readable): Promise<{ name: string; stream: Readable }> {
  if (path === '-') return { name: '<stdin>', stream: stdin };
  let info;
  try {
    info = await stat(path);
  } catch {
    throw inputError('FILE_NOT_FOUND', `cannot read ${path}: no such file`, { location: { file: path }, hint: 'check the path, or use - to read standard input' });
  }
  if (info.isDirectory()) throw inputError('FILE_IS_DIRECTORY', `${path} is a directory, not a CSV file`, { location: { file: path } });
  return { name: path, stream: createReadStream(path) };
}

const CSV_HINTS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed: look for a stray " on or after this line',
  CSV_INVALID_CLOSING_QUOTE: 'a " inside a quoted field must be doubled (""), or the field must not be quoted',
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'this row has a different number of fields than the header: look for an unquoted comma or a missing field',
  CSV_RECORD_INCONSISTENT_COLUMNS: 'this row has a different number of fields than the header',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'text follows a closing quote: quote the whole field',
  CSV_MAX_RECORD_SIZE: 'a field is extremely long: is this really a CSV file?',
};

function csvFailure(err: unknown, name: string): RapportError {
  if (err instanceof RapportError) return err;
  if (err instanceof CsvError) {
    const line = (err as CsvError & { lines?: number }).lines;
    const code = err.code === 'CSV_QUOTE_NOT_CLOSED' ? 'CSV_UNCLOSED_QUOTE' : err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' ? 'CSV_RAGGED_ROW' : err.code;
    return inputError(code, `cannot parse ${name}: ${err.message.replace(/ at line \d+$/, '')}`, {
      location: { file: name, ...(line === undefined ? {} : { line }) },
      hint: CSV_HINTS[err.code] ?? 'fix the file and run again',
      cause: err,
    });
  }
  const e = err as NodeJS.ErrnoException;
  return inputError('FILE_READ_FAILED', `cannot read ${name}: ${e.message}`, { location: { file: name }, cause: err });
}

/** Names that appear more than once (ignoring case and surrounding spaces, as column matching does). */
export function findDuplicateHeaders(header: readonly string[]): string[] {
  const seen = new Map<string, number>();
  const dups: string[] = [];
  header.forEach((h, i) => {
    const key = h.trim().toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) dups.push(`"${h}" (columns ${first + 1} and ${i + 1})`);
    else seen.set(key, i);
  });
  return dups;
}

/**
 * Parses a CSV stream: the first non-empty record is the header, then data records lazily.
 * Empty lines are skipped (they are not rows). Ragged rows, unclosed quotes and duplicate
 * header names are unusable input.
 */
export async function readCsv(stream: Readable, name: string): Promise<CsvSource> {
  let bytes = 0;
  stream.on('data', (chunk: Buffer | string) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
  });
  const parser = parse({ bom: true, info: true, skip_empty_lines: true, relax_column_count: false });
  stream.on('error', (err) => parser.destroy(err));
  stream.pipe(parser);
  const iterator = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; info: { lines: number } }>;

  const next = async (): Promise<CsvRecord | undefined> => {
    let r;
    try {
      r = await iterator.next();
    } catch (err) {
      throw csvFailure(err, name);
    }
    if (r.done) return undefined;
    const { record, info } = r.value;
    // csv-parse counts lines up to the end of the record; a quoted field may span lines.
    let embedded = 0;
    for (const f of record) for (let i = f.indexOf('\n'); i !== -1; i = f.indexOf('\n', i + 1)) embedded++;
    return { fields: record, line: info.lines - embedded };
  };

  const first = await next();
  if (!first) throw inputError('CSV_EMPTY', `${name} is empty: there is no header row`, { location: { file: name }, hint: 'export the data again with a header row' });
  const dups = findDuplicateHeaders(first.fields);
  if (dups.length > 0) {
    throw inputError('CSV_DUPLICATE_HEADER', `${name} has duplicate column names: ${dups.join(', ')}`, {
      location: { file: name, line: first.line },
      hint: 'rename the columns so every name is unique',
    });
  }
  const firstData = await next();
  if (!firstData) throw inputError('CSV_NO_ROWS', `${name} has a header but no data rows`, { location: { file: name, line: first.line }, hint: 'is this the right file? an export with no responses has nothing to score' });

  async function* records(): AsyncGenerator<CsvRecord> {
    yield firstData!;
    for (let r = await next(); r; r = await next()) yield r;
  }
  return { name, header: first.fields, headerLine: first.line, records: records(), bytesRead: () => bytes };
}
