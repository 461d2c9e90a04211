/**
 * The records every source becomes: a row of text cells with the file line it starts on, read a
 * batch at a time. The byte-level CSV reader gives rows that read their cells from the bytes
 * (src/input/csv-batch.ts); a workbook gives rows of strings (ArrayRecord). Consumers see one
 * interface, Row.
 */
export interface Row {
  /** 1-based line of the file where the record starts (the worksheet row for a workbook). */
  readonly line: number;
  /** Number of cells. */
  readonly count: number;
  /** Every cell as text (made on first use). */
  readonly fields: string[];
  /** Cell i as text ('' past the last cell). */
  text(i: number): string;
  /**
   * Cell i as a plain decimal number (surrounding spaces ignored; a comma as the decimal separator
   * when `decimalComma`), NaN if it is empty or anything else.
   */
  number(i: number, decimalComma: boolean): number;
  /** The input's own column of cell i when the table was reshaped (a wide file read as long). */
  sourceColumn?(i: number): string | undefined;
}

/** Records read together. A byte-level batch hands out one shared cursor: use a record before asking for the next. */
export interface RecordBatch {
  readonly length: number;
  at(j: number): Row;
  /** Number of cells of record j (without materialising it). */
  fieldCount(j: number): number;
}

const PLAIN = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const PLAIN_COMMA = /^[+-]?(\d+(,\d*)?|,\d+)$/;

/** A plain decimal number ("3", "-1", "2.5", ".5", "03"; "7,5" with a decimal comma), NaN otherwise (no "1e2", "0x10", "Infinity"). */
export function parsePlainNumber(text: string, decimalComma: boolean): number {
  if (PLAIN.test(text)) return Number(text);
  if (decimalComma && PLAIN_COMMA.test(text)) return Number(text.replace(',', '.'));
  return Number.NaN;
}

/** A row of strings (a workbook's, or one rewritten in memory). */
export class ArrayRecord implements Row {
  constructor(
    readonly fields: string[],
    readonly line: number,
  ) {}

  get count(): number {
    return this.fields.length;
  }

  text(i: number): string {
    return this.fields[i] ?? '';
  }

  number(i: number, decimalComma: boolean): number {
    return parsePlainNumber((this.fields[i] ?? '').replace(/^[ \t]+|[ \t]+$/g, ''), decimalComma);
  }
}

/** A batch of records held as objects. */
export class ArrayBatch implements RecordBatch {
  constructor(readonly records: Row[]) {}
  get length(): number {
    return this.records.length;
  }
  at(j: number): Row {
    return this.records[j]!;
  }
  fieldCount(j: number): number {
    return this.records[j]!.count;
  }
}

/** Groups records into batches of up to `size`; records read before a failure are handed out first, then the error. */
export async function* batchRecords(source: AsyncIterable<Row>, size = 1024): AsyncGenerator<RecordBatch> {
  let pending: Row[] = [];
  try {
    for await (const r of source) {
      pending.push(r);
      if (pending.length === size) {
        const full = pending;
        pending = [];
        yield new ArrayBatch(full);
      }
    }
  } catch (err) {
    if (pending.length > 0) yield new ArrayBatch(pending);
    throw err;
  }
  if (pending.length > 0) yield new ArrayBatch(pending);
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
