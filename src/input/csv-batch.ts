/**
 * A batch of CSV records as the byte-level reader makes it (src/input/csv-reader.ts): the bytes of
 * a chunk of the file, and each record's and field's bounds in flat typed arrays (reused from batch
 * to batch). Cells are read from the bytes only when asked for: a number without making a string,
 * text only for cells that are not plain numbers, a row's raw bytes for copying it to the output.
 */
import { FORMULA_START, type LineBatch } from '../kernels/lines.js';
import { grown } from '../typed-arrays.js';
import type { RecordBatch, Row } from './records.js';

const EMPTY = Buffer.alloc(0);

/**
 * The records of one chunk: where each starts and ends, its line, and its fields' byte bounds in
 * flat arrays. Valid until the reader is asked for the next batch (the arrays are reused).
 */
export class FastBatch implements RecordBatch, LineBatch {
  buf: Buffer = EMPTY;
  /** Records [first, n) are this batch's; those before `first` were taken by the reader (header, skipped rows). */
  first = 0;
  n = 0;
  line = new Int32Array(1024);
  start = new Int32Array(1024);
  end = new Int32Array(1024);
  /** Index of the record's first field in the field arrays, and its number of fields. */
  field = new Int32Array(1024);
  count = new Int32Array(1024);
  /** 1 when some field of the record starts with a character a spreadsheet may run as a formula (= + - @ tab CR). */
  formulaLike = new Uint8Array(1024);
  /** The number of the WebAssembly kernel's load that holds this batch's bytes, or -1 (see DigitRows). */
  epoch = -1;
  nFields = 0;
  fieldStart = new Int32Array(1 << 14);
  fieldEnd = new Int32Array(1 << 14);
  /** 1 when the field was quoted (its bounds exclude the quotes), 2 when it also holds "" escapes. */
  quoted = new Uint8Array(1 << 14);
  /**
   * While the field bounds are views of the kernel's memory (lent by WasmLines.split for a batch one
   * split made whole, instead of copying them), the batch's own arrays, kept here. settle() copies
   * the bounds into them before anything is written or the kernel's memory is reused.
   */
  private own: { fieldStart: Int32Array<ArrayBuffer>; fieldEnd: Int32Array<ArrayBuffer>; quoted: Uint8Array<ArrayBuffer> } | undefined;
  private readonly cursor = new FastRecord();

  get length(): number {
    return this.n - this.first;
  }

  /** Record j of the batch, as one shared cursor: use it before asking for another. */
  at(j: number): FastRecord {
    return this.cursor.select(this, this.first + j);
  }

  fieldCount(j: number): number {
    return this.count[this.first + j]!;
  }

  reset(buf: Buffer): void {
    if (this.own) {
      // Lent bounds are dropped, not copied: the batch starts empty.
      ({ fieldStart: this.fieldStart, fieldEnd: this.fieldEnd, quoted: this.quoted } = this.own);
      this.own = undefined;
    }
    this.buf = buf;
    this.epoch = -1;
    this.first = 0;
    this.n = 0;
    this.nFields = 0;
  }

  /** Records a record whose `count` fields were written from index nFields on. */
  push(line: number, start: number, end: number, count: number, formulaLike: number): void {
    const r = this.n++;
    this.line[r] = line;
    this.start[r] = start;
    this.end[r] = end;
    this.field[r] = this.nFields;
    this.count[r] = count;
    this.formulaLike[r] = formulaLike;
    this.nFields += count;
  }

  /** Room for one more record with up to `fields` more fields. */
  reserve(fields: number): void {
    this.reserveMany(1, fields);
  }

  /** Uses these views of the kernel's memory as the field bounds of the batch's first nFields fields (see `own`). */
  lend(fieldStart: Int32Array<ArrayBuffer>, fieldEnd: Int32Array<ArrayBuffer>, quoted: Uint8Array<ArrayBuffer>): void {
    this.settle();
    this.own = { fieldStart: this.fieldStart, fieldEnd: this.fieldEnd, quoted: this.quoted };
    this.fieldStart = fieldStart;
    this.fieldEnd = fieldEnd;
    this.quoted = quoted;
  }

  /** Copies lent field bounds into the batch's own arrays (grown as needed); nothing if none are lent. */
  settle(): void {
    const own = this.own;
    if (!own) return;
    this.own = undefined;
    const f = this.nFields;
    const copy = <T extends Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>>(mine: T, lent: T): T => {
      const out = mine.length >= f ? mine : grown(mine, f);
      out.set(lent.subarray(0, f));
      return out;
    };
    this.fieldStart = copy(own.fieldStart, this.fieldStart);
    this.fieldEnd = copy(own.fieldEnd, this.fieldEnd);
    this.quoted = copy(own.quoted, this.quoted);
    // The cursor (the record batch.at gave last) reads the copies from now on.
    this.cursor.rebind(this);
  }

  /** Room for `records` more records with `fields` more fields between them. */
  reserveMany(records: number, fields: number): void {
    if (fields > 0) this.settle();
    if (this.n + records > this.line.length) {
      const size = this.n + records;
      this.line = grown(this.line, size);
      this.start = grown(this.start, size);
      this.end = grown(this.end, size);
      this.field = grown(this.field, size);
      this.count = grown(this.count, size);
      this.formulaLike = grown(this.formulaLike, size);
    }
    if (this.nFields + fields > this.fieldStart.length) {
      const size = this.nFields + fields;
      this.fieldStart = grown(this.fieldStart, size);
      this.fieldEnd = grown(this.fieldEnd, size);
      this.quoted = grown(this.quoted, size);
    }
  }
}

/** One record of a FastBatch, read in place. Valid until the batch's cursor moves: copy what you keep. */
export class FastRecord implements Row {
  line = 0;
  buf: Buffer = EMPTY;
  start = 0;
  end = 0;
  count = 0;
  /** Some field starts with = + - @ tab or CR (see startsLikeFormula). */
  formulaLike = false;
  private base = 0;
  private fs: Int32Array = new Int32Array(0);
  private fe: Int32Array = new Int32Array(0);
  private q: Uint8Array = new Uint8Array(0);
  private cache: string[] | undefined;

  /** Reads the batch's field bounds anew (they were copied out of the kernel's memory: FastBatch.settle). */
  rebind(b: FastBatch): void {
    this.fs = b.fieldStart;
    this.fe = b.fieldEnd;
    this.q = b.quoted;
  }

  select(b: FastBatch, r: number): this {
    this.buf = b.buf;
    this.line = b.line[r]!;
    this.start = b.start[r]!;
    this.end = b.end[r]!;
    this.base = b.field[r]!;
    this.count = b.count[r]!;
    this.formulaLike = b.formulaLike[r] === 1;
    this.fs = b.fieldStart;
    this.fe = b.fieldEnd;
    this.q = b.quoted;
    this.cache = undefined;
    return this;
  }

  text(i: number): string {
    if (this.cache) return this.cache[i] ?? '';
    if (i >= this.count) return '';
    const s = this.buf.toString('utf8', this.fs[this.base + i]!, this.fe[this.base + i]!);
    return this.q[this.base + i] === 2 ? s.replace(/""/g, '"') : s;
  }

  get fields(): string[] {
    if (!this.cache) {
      const out = new Array<string>(this.count);
      for (let i = 0; i < this.count; i++) out[i] = this.text(i);
      this.cache = out;
    }
    return this.cache;
  }


  /** Where cell i's bytes start and end in `buf` (inside its quotes, if quoted). */
  cellStart(i: number): number {
    return this.fs[this.base + i]!;
  }

  cellEnd(i: number): number {
    return this.fe[this.base + i]!;
  }

  /** Whether cell i holds "" escapes, so that its text is not its bytes as they are. */
  escaped(i: number): boolean {
    return this.q[this.base + i] === 2;
  }

  /** The row exactly as written (without its line ending). */
  raw(): string {
    return this.buf.toString('utf8', this.start, this.end);
  }

  /**
   * The cell as a plain decimal number (surrounding spaces ignored; a comma as decimal separator if
   * allowed), NaN if it is empty or anything else. Same result as Number() on the text.
   */
  number(i: number, decimalComma: boolean): number {
    const s = this.fs[this.base + i]!;
    const e = this.fe[this.base + i]!;
    // The common case, small enough to be inlined where it is called: one digit.
    if (e === s + 1) {
      const c = this.buf[s]! - 0x30;
      return c >= 0 && c <= 9 ? c : Number.NaN;
    }
    return this.longNumber(s, e, decimalComma);
  }

  /** number() for a cell of bytes [s, e) other than a single one. */
  private longNumber(s: number, e: number, decimalComma: boolean): number {
    const b = this.buf;
    while (s < e && (b[s] === 0x20 || b[s] === 0x09)) s++;
    while (e > s && (b[e - 1] === 0x20 || b[e - 1] === 0x09)) e--;
    if (s === e) return Number.NaN;
    let p = s;
    let neg = false;
    if (b[p] === 0x2b || b[p] === 0x2d) {
      neg = b[p] === 0x2d;
      p++;
    }
    let value = 0;
    let digits = 0;
    while (p < e && b[p]! >= 0x30 && b[p]! <= 0x39) {
      value = value * 10 + (b[p]! - 0x30);
      p++;
      digits++;
    }
    if (p === e) return digits > 0 && digits < 16 ? (neg ? -value : value) : digits > 0 ? Number(b.toString('latin1', s, e)) : Number.NaN;
    const sep = b[p];
    if (sep !== 0x2e && !(decimalComma && sep === 0x2c)) return Number.NaN;
    p++;
    let frac = 0;
    while (p < e && b[p]! >= 0x30 && b[p]! <= 0x39) {
      p++;
      frac++;
    }
    if (p !== e || digits + frac === 0) return Number.NaN;
    const text = b.toString('latin1', s, e);
    return Number(sep === 0x2c ? text.replace(',', '.') : text);
  }

  /**
   * Reads cells `columns` as one-digit answers within [min, max] (0 ≤ min, max ≤ 9) into `values`
   * (min + max − x where `reverse`), an empty cell as missing (NaN), as readItems would; returns how
   * many were answered, or −1 at the first cell that is anything else (the caller then reads the
   * row the general way). One loop with everything in locals: the common row of a questionnaire.
   */
  digits(columns: Int32Array, reverse: Uint8Array, min: number, max: number, values: Float64Array, invalid: Uint8Array): number {
    const buf = this.buf;
    const fs = this.fs;
    const fe = this.fe;
    const base = this.base;
    const n = columns.length;
    let answered = 0;
    for (let i = 0; i < n; i++) {
      const f = base + columns[i]!;
      const s = fs[f]!;
      const e = fe[f]!;
      if (e === s + 1) {
        const c = buf[s]! - 0x30;
        if (c < min || c > max) return -1;
        values[i] = reverse[i] === 1 ? min + max - c : c;
        answered++;
      } else if (e === s) values[i] = Number.NaN;
      else return -1;
      invalid[i] = 0;
    }
    return answered;
  }

  /** Whether a field starts like a spreadsheet formula (=, +, -, @, tab, CR), so the raw row cannot be copied as is. */
  startsLikeFormula(i: number): boolean {
    const s = this.fs[this.base + i]!;
    return this.fe[this.base + i]! > s && FORMULA_START[this.buf[s]!] === 1;
  }
}

/**
 * The text of one column, row after row, that reuses the previous row's string when the cell holds
 * the same bytes: in a long-format file a client's or therapist's id repeats on row after row, and
 * a million new strings cost more time (and garbage collection) than comparing a few bytes.
 */
export class RepeatedCell {
  private text = '';
  private bytes = Buffer.alloc(64);
  /** Length of the remembered bytes; -1 when nothing is remembered. */
  private length = -1;

  constructor(private readonly column: number) {}

  get(r: Row): string {
    if (!(r instanceof FastRecord)) return r.text(this.column);
    const c = this.column;
    if (r.escaped(c)) return r.text(c);
    const s = r.cellStart(c);
    const n = r.cellEnd(c) - s;
    const buf = r.buf;
    const bytes = this.bytes;
    if (n === this.length) {
      let i = 0;
      while (i < n && bytes[i] === buf[s + i]) i++;
      if (i === n) return this.text;
    }
    this.text = buf.toString('utf8', s, s + n);
    if (n <= bytes.length) {
      buf.copy(bytes, 0, s, s + n);
      this.length = n;
    } else this.length = -1;
    return this.text;
  }
}
