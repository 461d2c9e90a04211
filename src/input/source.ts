/** What reading an input gives, whatever its kind: the options, the dialect found, and the table of records. */
import type { RecordBatch } from './records.js';

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
  /** An SPSS .sav file: give a number that has a value label as its label. */
  valueLabels?: boolean;
  /** A wide file's column pattern (`{column}_s{session}`): read as long (src/input/wide.ts). */
  wide?: string;
}

export interface Dialect {
  format: 'csv' | 'xlsx' | 'sav';
  delimiter: string;
  /** The WHATWG name of the encoding read (utf-8, utf-16le, windows-1252, …), or 'xlsx'; a .sav file's own encoding. */
  encoding: string;
  decimalComma: boolean;
  /** An .xlsx workbook read from its first worksheet: the names of its other worksheets. */
  otherSheets?: string[];
  /** A wide file read as long (--wide): its rows, the administrations they gave, and the rows with no answer at all (which give none), filled in as it is read. */
  wide?: { pattern: string; rows: number; administrations: number; emptyRows: number; emptyLines: number[] };
}

export interface SkippedRow {
  line: number;
  reason: string;
}

export interface TableSource {
  /** What to call the input in messages: a path or "<stdin>". */
  name: string;
  header: string[];
  /** Line of the header row. */
  headerLine: number;
  /** The data rows, a batch at a time; a batch is valid until the next is asked for. */
  batches: AsyncIterable<RecordBatch>;
  /** Bytes of the input read so far (for progress). */
  bytesRead(): number;
  dialect: Dialect;
  /** Rows read but not data (e.g. Qualtrics' question-text and ImportId rows). */
  skipped: SkippedRow[];
}

