/**
 * A byte-level RFC 4180 reader for UTF-8 files: the fast path behind src/io/table.ts. csv-parse
 * makes a string per field and an await per record; scoring a million rows needs better, so this
 * reader parses each chunk of the file synchronously into a batch of field boundaries (flat typed
 * arrays), and lets callers parse numbers straight from the bytes, decode text only when a cell is
 * not a plain number, and copy a row's raw bytes to the output. It accepts and refuses exactly what
 * the csv-parse path does (test/io/fast-csv.test.ts compares the two).
 */
import { isUtf8 } from 'node:buffer';
import { inputError, type RapportError } from '../errors.js';
import type { CsvRecord, RecordBatch } from './csv-read.js';
import { firstInvalidUtf8 } from './decode.js';
import { grown } from '../typed-arrays.js';
import { WASM_BASE64 as SPLIT_WASM } from '../stats/wasm/split.js';
import { ensureMemory, instantiateKernel, type KernelMemory } from '../stats/wasm/instantiate.js';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);
let ZEROS = new Uint8Array(1 << 16);
/** A view of n zero bytes, shared: the `quoted` flags of fields lent from the kernel (never written). */
function zeros(n: number): Uint8Array<ArrayBuffer> {
  if (ZEROS.length < n) ZEROS = new Uint8Array(Math.max(n, 2 * ZEROS.length));
  return ZEROS.subarray(0, n);
}
/** 1 for the bytes a spreadsheet formula can start with: = + - @ tab CR. */
const FORMULA_START = new Uint8Array(256);
for (const c of [0x3d, 0x2b, 0x2d, 0x40, 0x09, 0x0d]) FORMULA_START[c] = 1;

/**
 * The records of one chunk: where each starts and ends, its line, and its fields' byte bounds in
 * flat arrays. Valid until the reader is asked for the next batch (the arrays are reused).
 */
export class FastBatch implements RecordBatch {
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
export class FastRecord implements CsvRecord {
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

  get fields(): string[] {
    if (!this.cache) {
      const out = new Array<string>(this.count);
      for (let i = 0; i < this.count; i++) out[i] = this.text(i);
      this.cache = out;
    }
    return this.cache;
  }

  text(i: number): string {
    if (this.cache) return this.cache[i]!;
    const s = this.buf.toString('utf8', this.fs[this.base + i]!, this.fe[this.base + i]!);
    return this.q[this.base + i] === 2 ? s.replace(/""/g, '"') : s;
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

/** Cell i of any record as text (on the fast path only this cell is decoded). */
export function cellText(r: CsvRecord, i: number): string {
  return r instanceof FastRecord ? r.text(i) : (r.fields[i] ?? '');
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

  get(r: CsvRecord): string {
    if (!(r instanceof FastRecord)) return r.fields[this.column] ?? '';
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

export interface FastReaderOptions {
  name: string;
  delimiter: number;
  /** For a part of a file (src/parallel): the line of its first byte, its byte offset, and no BOM to strip. */
  line?: number;
  offset?: number;
  partOfFile?: boolean;
  /** Updated as the reader goes: the line of the first byte not yet parsed. */
  position?: { line: number };
  /** Split simple lines with the WebAssembly kernel where available (default true; false for tests that compare the two). */
  wasm?: boolean;
  /** The longest record accepted, in bytes (default MAX_RECORD_BYTES). */
  maxRecordBytes?: number;
}

/** The longest record (row, with its quoted line breaks) read by default: 1 MB. `--max-record-size` raises it. */
export const MAX_RECORD_BYTES = 1 << 20;

/** CSV_RECORD_TOO_LONG: a record (from `line` on) longer than the limit, refused as soon as it is seen. */
export function recordTooLong(name: string, line: number, limit: number): RapportError {
  return inputError('CSV_RECORD_TOO_LONG', `cannot parse ${name}: the record starting on line ${line} is longer than ${formatBytes(limit)}`, {
    location: { file: name, line },
    hint: `is this really a CSV file (look for an unclosed quote)? if the row is meant to be this long, raise the limit with --max-record-size (e.g. --max-record-size ${formatBytes(limit * 4).replace(' ', '')})`,
  });
}

const formatBytes = (n: number): string => (n % (1 << 20) === 0 ? `${n / (1 << 20)} MB` : n % 1024 === 0 ? `${n / 1024} KB` : `${n} bytes`);

interface SplitKernel {
  memory: KernelMemory;
  split: (p0: number, end: number, delimiter: number, delta: number, rec: number, fs: number, fe: number) => number;
  items: (
    nrec: number, rec: number, fs: number, fe: number, input: number,
    cols: number, rev: number, n: number, min: number, max: number,
    sc: number, sci: number, ns: number,
    ans: number, vals: number, sums: number, tmp: number,
  ) => number;
  assemble: (r0: number, r1: number, pos: number, input: number, codes: number, ns: number, strs: number, strTab: number, status: number, out: number) => number;
}

/**
 * The kernel's memory, in bytes: the formula table at 0; the counts of the last split at 256 and 260
 * and the end of `assemble`'s output at 264; the status texts at STATUS_TEXTS; PLAN_SLOTS plans for
 * `items` (PLAN_BYTES each) from PLANS; and from INPUT the buffer loaded, then the split's records and
 * fields, then the copies and results of `items`, then RowAssembler's codes, strings and output.
 */
const STATUS_TEXTS = 272;
const PLANS = 512;
const PLAN_BYTES = 16_384;
const PLAN_SLOTS = 8;
const INPUT = PLANS + PLAN_SLOTS * PLAN_BYTES;
/** The largest buffer given to the kernel (larger ones are split in JavaScript). */
const KERNEL_MAX_INPUT = 1 << 20;
const align16 = (n: number): number => (n + 15) & ~15;

/** One questionnaire's one-digit items, for DigitRows: as ScoringPlan.digits, with its scales' item indices. */
export interface DigitPlan {
  columns: Int32Array;
  reverse: Uint8Array;
  min: number;
  max: number;
  scales: ReadonlyArray<ArrayLike<number>>;
}

/**
 * The WebAssembly kernel (src/stats/wasm/split.wat), one per thread, shared by its readers:
 * - split: the simple lines of a buffer split as simpleRecord's byte loop splits them, with the
 *   same records and fields. The buffer is copied into the kernel's memory once (load), then split
 *   from any line on, as often as the parser comes back to it after a line it parsed itself.
 * - items: the one-digit answers of a whole batch (DigitRows), while the batch's buffer is the one
 *   loaded (each load has a number, `loads`; a batch keeps the one that holds its bytes).
 */
class WasmLines {
  /** How many buffers have been loaded: the number of the one in memory now. */
  loads = 0;
  private bytes: Uint8Array;
  private words: Int32Array<ArrayBuffer>;
  private rec = 0;
  private fs = 0;
  private fe = 0;
  /** Where the memory past the split's records and fields starts. */
  private free = 0;
  private length = 0;
  /** The batch whose records one split made, all of them, and how many records and fields that was. */
  private whole: { batch: FastBatch; records: number; fields: number } | undefined;
  /** The batch (and its load) whose field bounds were last copied for `items`, at `copied`. */
  private copiedBatch: FastBatch | undefined;
  private copiedLoad = -1;
  private copied = { fs: 0, fe: 0, rec: 0, end: 0 };
  /** The plans in the PLAN_SLOTS slots, and the next slot to reuse. */
  private readonly slotPlans: Array<DigitPlan | undefined> = new Array(PLAN_SLOTS).fill(undefined);
  private nextSlot = 0;

  /** The batch the kernel's field bounds were last lent to (FastBatch.lend). */
  private lent: FastBatch | undefined;

  /** Where the memory past the results of the last `items` starts. */
  private itemsEnd = 0;

  constructor(private readonly kernel: SplitKernel) {
    ensureMemory(kernel.memory, INPUT + 65_536);
    this.bytes = new Uint8Array(kernel.memory.buffer);
    this.words = new Int32Array(kernel.memory.buffer);
    this.bytes.set(FORMULA_START, 0);
    // The statuses' texts for `assemble` (the order of STATUSES in src/scoring/score.ts).
    ['ok', 'prorated', 'incomplete', 'invalid'].forEach((t, i) => {
      this.bytes[STATUS_TEXTS + 16 * i] = t.length;
      this.bytes.set(Buffer.from(t, 'latin1'), STATUS_TEXTS + 16 * i + 1);
    });
  }

  private grow(bytes: number): void {
    // Growing detaches every view of the memory: a batch holding lent field bounds copies them first.
    if (bytes > this.kernel.memory.buffer.byteLength) this.reclaim();
    ensureMemory(this.kernel.memory, bytes);
    // A grown memory has a new buffer (the old views are detached).
    if (this.bytes.buffer !== this.kernel.memory.buffer) {
      this.bytes = new Uint8Array(this.kernel.memory.buffer);
      this.words = new Int32Array(this.kernel.memory.buffer);
    }
  }

  /** Copies b into the kernel's memory: the load's number, or -1 (nothing copied) when b is too large. */
  load(b: Buffer): number {
    this.reclaim();
    const n = b.length;
    if (n > KERNEL_MAX_INPUT) return -1;
    // Room for the input (and 16 bytes the last loads may read past it), n / 2 records, n fields.
    this.rec = align16(INPUT + n + 16);
    this.fs = this.rec + 16 * ((n >> 1) + 2);
    this.fe = this.fs + 4 * (n + 2);
    this.free = align16(this.fe + 4 * (n + 2));
    this.grow(this.free);
    this.bytes.set(b, INPUT);
    this.bytes.fill(0, INPUT + n, INPUT + n + 16);
    this.length = n;
    this.copiedBatch = undefined;
    this.whole = undefined;
    this.itemsEnd = this.free;
    return ++this.loads;
  }

  /**
   * Adds the simple lines from b[i] on (b loaded) to the batch, line numbers from `line`, up to the
   * first line that is not simple or not ended; returns where that line starts (i if none was added).
   */
  split(i: number, delimiter: number, batch: FastBatch, line: number): number {
    this.reclaim();
    const next = this.kernel.split(INPUT + i, INPUT + this.length, delimiter, -INPUT, this.rec, this.fs, this.fe);
    if (next === i) return i;
    const words = this.words;
    const records = words[64]!;
    const fields = words[65]!;
    const base = batch.nFields;
    // The batch's first records: while nothing else is added, the kernel's copy of its field bounds is
    // the batch's, lent to it as views (most batches are read by the kernel and never look at them).
    const whole = base === 0 && batch.n === 0;
    this.whole = whole ? { batch, records, fields } : undefined;
    if (whole) {
      batch.reserveMany(records, 0);
      batch.lend(words.subarray(this.fs >> 2, (this.fs >> 2) + fields), words.subarray(this.fe >> 2, (this.fe >> 2) + fields), zeros(fields));
      this.lent = batch;
    } else {
      batch.reserveMany(records, fields);
      batch.fieldStart.set(words.subarray(this.fs >> 2, (this.fs >> 2) + fields), base);
      batch.fieldEnd.set(words.subarray(this.fe >> 2, (this.fe >> 2) + fields), base);
      batch.quoted.fill(0, base, base + fields);
    }
    for (let r = 0, o = this.rec >> 2; r < records; r++, o += 4) batch.push(line + r, words[o]!, words[o + 1]!, words[o + 2]!, words[o + 3]!);
    return next;
  }

  /** A batch still holding field bounds lent from the kernel's memory keeps a copy before the memory is reused. */
  private reclaim(): void {
    this.lent?.settle();
    this.lent = undefined;
  }

  /** The slot holding the plan (written there if it is not), or -1 if the plan does not fit one. */
  private slotOf(plan: DigitPlan): number {
    for (let k = 0; k < PLAN_SLOTS; k++) if (this.slotPlans[k] === plan) return k;
    const n = plan.columns.length;
    const listed = plan.scales.reduce((a, s) => a + s.length, 0);
    if (4 * n + align16(n) + 8 * plan.scales.length + 4 * listed > PLAN_BYTES) return -1;
    const k = this.nextSlot;
    this.nextSlot = (k + 1) % PLAN_SLOTS;
    const at = PLANS + k * PLAN_BYTES;
    const words = this.words;
    words.set(plan.columns, at >> 2);
    this.bytes.set(plan.reverse, at + 4 * n);
    let p = (at + 4 * n + align16(n)) >> 2;
    let listedAt = p + 2 * plan.scales.length;
    let start = 0;
    for (const items of plan.scales) {
      words[p++] = start;
      words[p++] = items.length;
      for (let t = 0; t < items.length; t++) words[listedAt++] = items[t]!;
      start += items.length;
    }
    this.slotPlans[k] = plan;
    return k;
  }

  /** DigitRows.read for a batch whose bytes are loaded now: false if the plan does not fit the kernel. */
  items(batch: FastBatch, plan: DigitPlan, out: DigitRows): boolean {
    const slot = this.slotOf(plan);
    if (slot < 0) return false;
    const nrec = batch.n - batch.first;
    const n = plan.columns.length;
    const ns = plan.scales.length;
    if (this.copiedBatch !== batch || this.copiedLoad !== batch.epoch) {
      // The batch's field bounds and its records' first fields, copied once for all its plans (the
      // bounds are in memory already when one split made all the batch's records).
      const f = batch.nFields;
      const w = this.whole;
      const split = w !== undefined && w.batch === batch && w.records === batch.n && w.fields === f;
      const fs = split ? this.fs : this.free;
      const fe = split ? this.fe : align16(fs + 4 * f);
      const rec = split ? this.free : align16(fe + 4 * f);
      const end = align16(rec + 4 * nrec);
      this.grow(end);
      if (!split) {
        this.words.set(batch.fieldStart.subarray(0, f), fs >> 2);
        this.words.set(batch.fieldEnd.subarray(0, f), fe >> 2);
      }
      this.words.set(batch.field.subarray(batch.first, batch.n), rec >> 2);
      this.copied = { fs, fe, rec, end };
      this.copiedBatch = batch;
      this.copiedLoad = batch.epoch;
    }
    const { fs, fe, rec, end } = this.copied;
    const ans = end;
    const vals = out.wantValues ? align16(ans + 4 * nrec) : 0;
    const sums = align16((vals || ans + 4 * nrec) + (out.wantValues ? 8 * nrec * n : 0));
    const tmp = align16(sums + 8 * nrec * ns);
    this.itemsEnd = align16(tmp + 4 * n);
    this.grow(this.itemsEnd);
    const at = PLANS + slot * PLAN_BYTES;
    const sc = at + 4 * n + align16(n);
    this.kernel.items(nrec, rec, fs, fe, INPUT, at, at + 4 * n, n, plan.min, plan.max, sc, sc + 8 * ns, ns, ans, vals, sums, tmp);
    out.take(this.kernel.memory.buffer, nrec, ans, vals, sums);
    return true;
  }

  /**
   * Room for RowAssembler.begin: codes, strings and output for the batch's records, past the
   * results of `items` (which the caller has taken). Returns the regions, and views of the memory.
   */
  assembleRegions(batch: FastBatch, scales: number): { pos: number; codes: number; strTab: number; strs: number; out: number; bytes: Uint8Array; words: Int32Array } {
    const nrec = batch.n - batch.first;
    const rowBytes = nrec === 0 ? 0 : batch.end[batch.n - 1]! - batch.start[batch.first]!;
    const pos = align16(this.itemsEnd);
    const codes = align16(pos + 8 * nrec);
    const strTab = align16(codes + 4 * nrec * (scales + 2));
    const strs = align16(strTab + 8 * nrec * scales);
    const out = align16(strs + 32 * nrec * scales);
    this.grow(out + rowBytes + nrec * (32 * scales + 48));
    const words = this.words;
    for (let r = 0, p = pos >> 2; r < nrec; r++, p += 2) {
      words[p] = batch.start[batch.first + r]!;
      words[p + 1] = batch.end[batch.first + r]!;
    }
    return { pos, codes, strTab, strs, out, bytes: this.bytes, words };
  }

  assemble(r0: number, r1: number, pos: number, codes: number, scales: number, strs: number, strTab: number, out: number): { next: number; end: number } {
    const next = this.kernel.assemble(r0, r1, pos, INPUT, codes, scales, strs, strTab, STATUS_TEXTS, out);
    return { next, end: this.words[66]! };
  }
}

const splitKernel = instantiateKernel<SplitKernel>(SPLIT_WASM);
const wasmLines = splitKernel && new WasmLines(splitKernel);

/**
 * One questionnaire's answers for every record of a batch at once, read by the WebAssembly kernel
 * when they are all one-digit answers or empty (what FastRecord.digits reads one row at a time):
 * for batch record j, `answered[j]` (-1: read that record with readItems), its values (reverse-keyed,
 * NaN when empty) at values[j * n …] if asked for, and each scale's sum and number of answered
 * items at sums[(j * scales + s) * 2 …]. Sums of whole numbers are exact, so a scale score made from
 * them is the one scoreItems makes. Valid until the next read.
 */
export class DigitRows {
  answered = new Int32Array(0);
  values = new Float64Array(0);
  sums = new Int32Array(0);

  constructor(
    readonly plan: DigitPlan,
    readonly wantValues: boolean,
  ) {}

  /** Reads the batch's records; false when it cannot (not a byte-level batch, no WebAssembly, bytes no longer loaded). */
  read(batch: RecordBatch): boolean {
    if (wasmLines === undefined || !(batch instanceof FastBatch) || batch.epoch !== wasmLines.loads || batch.epoch < 0) return false;
    return wasmLines.items(batch, this.plan, this);
  }

  /**
   * Copies the kernel's results out of its memory. A caller may point `answered` and `values` at
   * arrays of its own before read (large enough for the batch: they are used as they are).
   */
  take(memory: ArrayBuffer, nrec: number, ans: number, vals: number, sums: number): void {
    const n = this.plan.columns.length;
    const ns = this.plan.scales.length;
    const size = (have: number, need: number) => Math.max(need, 2 * have);
    if (this.answered.length < nrec) this.answered = new Int32Array(size(this.answered.length, nrec));
    if (this.sums.length < nrec * ns * 2) this.sums = new Int32Array(size(this.sums.length, nrec * ns * 2));
    if (this.wantValues && this.values.length < nrec * n) this.values = new Float64Array(size(this.values.length, nrec * n));
    this.answered.set(new Int32Array(memory, ans, nrec));
    this.sums.set(new Int32Array(memory, sums, nrec * ns * 2));
    if (this.wantValues) this.values.set(new Float64Array(memory, vals, nrec * n));
  }
}

/**
 * score's output rows for a batch, written by the WebAssembly kernel (`assemble` in split.wat): each
 * record's bytes as read, then its scales, answered count and status as the caller codes them (see
 * begin), and an empty problems cell. For one instrument on a comma file copied as read.
 */
export class RowAssembler {
  /** Per record, from codeAt + r * (scales + 2): status (-1: the caller writes this record), answered, and per scale a whole number, -1 (none) or string(). */
  codes: Int32Array = new Int32Array(0);
  codeAt = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  private regions = { pos: 0, codes: 0, strTab: 0, strs: 0, out: 0 };
  private strings = 0;
  private strBytes = 0;
  private nrec = 0;

  constructor(readonly scales: number) {}

  /** Whether the kernel can write this batch (its bytes still loaded); then `codes` is ready to fill. */
  begin(batch: RecordBatch): boolean {
    if (wasmLines === undefined || !(batch instanceof FastBatch) || batch.epoch < 0 || batch.epoch !== wasmLines.loads) return false;
    const r = wasmLines.assembleRegions(batch, this.scales);
    this.regions = r;
    this.bytes = r.bytes;
    this.codes = r.words;
    this.codeAt = r.codes >> 2;
    this.strings = 0;
    this.strBytes = 0;
    this.nrec = batch.n - batch.first;
    return true;
  }

  /** A value written as this text (ASCII, at most 32 bytes: a number's, which takes at most 25), as its code. */
  string(text: string): number {
    if (text.length > 32) throw new Error(`RowAssembler.string: "${text}" is longer than 32 bytes`);
    const id = this.strings++;
    const at = this.regions.strs + this.strBytes;
    for (let i = 0; i < text.length; i++) this.bytes[at + i] = text.charCodeAt(i);
    const t = (this.regions.strTab >> 2) + 2 * id;
    this.codes[t] = this.strBytes;
    this.codes[t + 1] = text.length;
    this.strBytes += text.length;
    return -2 - id;
  }

  /** Writes records from `from` up to the first the caller writes itself, handing the bytes to `take` (copy them); returns that record (or the count). */
  run(from: number, take: (bytes: Uint8Array, start: number, end: number) => void): number {
    const { pos, codes, strTab, strs, out } = this.regions;
    const { next, end } = wasmLines!.assemble(from, this.nrec, pos, codes, this.scales, strs, strTab, out);
    if (end > out) take(this.bytes, out, end);
    return next;
  }
}

/**
 * Parses chunks into batches. Line numbers carry over from chunk to chunk. A malformed record
 * ends the batch before it and leaves its error in `failure`, so the records before it are still
 * handed out first (as a record-at-a-time reader would).
 */
class ChunkParser {
  line = 1; // line of the first byte of the unparsed data
  failure: RapportError | undefined;
  private readonly kernel: WasmLines | undefined;

  constructor(
    private readonly name: string,
    private readonly delimiter: number,
    wasm: boolean,
  ) {
    const plain = delimiter !== QUOTE && delimiter !== LF && delimiter !== CR && delimiter < 0x80;
    this.kernel = wasm && plain ? wasmLines : undefined;
  }

  private fail(code: string, message: string, atLine: number, hint: string): RapportError {
    return inputError(code, message, { location: { file: this.name, line: atLine }, hint });
  }

  /** Parses the records that end within b into `batch`; returns where the unparsed rest starts. */
  parse(b: Buffer, final: boolean, batch: FastBatch): number {
    try {
      return this.run(b, final, batch);
    } catch (err) {
      this.failure = err as RapportError;
      return b.length;
    }
  }

  /**
   * Adds the record b[start, end) (one line, no quotes) to the batch; false, adding nothing, when
   * it holds a carriage return (a line break of its own, left to the general parser).
   */
  private simpleRecord(b: Buffer, start: number, end: number, batch: FastBatch, line: number): boolean {
    // A line of n bytes has at most n + 1 fields: room for them first, so the loop need not check.
    // (Very long lines are left to the general parser, which grows the arrays as it goes.)
    if (end - start > 1 << 16) return false;
    batch.reserve(end - start + 1);
    const delimiter = this.delimiter;
    const base = batch.nFields;
    const fs = batch.fieldStart;
    const fe = batch.fieldEnd;
    let count = 0;
    let s = start;
    let risky = FORMULA_START[b[start]!]!;
    for (let p = start; p < end; p++) {
      const c = b[p]!;
      if (c === delimiter) {
        fs[base + count] = s;
        fe[base + count] = p;
        count++;
        s = p + 1;
        risky |= FORMULA_START[b[s]!]!;
      } else if (c === CR) return false;
    }
    fs[base + count] = s;
    fe[base + count] = end;
    count++;
    batch.quoted.fill(0, base, base + count);
    batch.push(line, start, end, count, risky);
    return true;
  }

  private run(b: Buffer, final: boolean, batch: FastBatch): number {
    const { name, delimiter } = this;
    let i = 0;
    const n = b.length;
    let line = this.line;
    let nextQuote = b.indexOf(QUOTE);
    batch.epoch = this.kernel ? this.kernel.load(b) : -1;
    const kernel = batch.epoch >= 0 ? this.kernel : undefined;
    try {
      for (;;) {
        // Skip empty lines.
        while (i < n && (b[i] === LF || (b[i] === CR && b[i + 1] === LF) || (b[i] === CR && final && i + 1 === n))) {
          if (b[i] === LF) line++;
          else if (b[i + 1] === LF) {
            i++;
            line++;
          }
          i++;
        }
        if (i >= n) return i;
        // The common case: records on one line without quotes, split by the kernel, or by the loop below.
        if (kernel) {
          const before = batch.n;
          const next = kernel.split(i, this.delimiter, batch, line);
          if (next !== i) {
            line += batch.n - before;
            i = next;
            continue;
          }
        }
        if (nextQuote !== -1 && nextQuote < i) nextQuote = b.indexOf(QUOTE, i);
        const lf = b.indexOf(LF, i);
        if (lf !== -1 && (nextQuote === -1 || nextQuote > lf)) {
          const end = b[lf - 1] === CR ? lf - 1 : lf;
          const r = this.simpleRecord(b, i, end, batch, line);
          if (r) {
            line++;
            i = lf + 1;
            continue;
          }
        }
        const recStart = i;
        const recLine = line;
        let l = line;
        let count = 0;
        let p = i;
        let complete = false;
        let risky = 0;
        batch.reserve(64);
        let base = batch.nFields;
        let fs = batch.fieldStart;
        let fe = batch.fieldEnd;
        let fq = batch.quoted;
        for (;;) {
          if (base + count === fs.length) {
            batch.reserve(count + 64);
            fs = batch.fieldStart;
            fe = batch.fieldEnd;
            fq = batch.quoted;
            base = batch.nFields;
          }
          if (b[p] === QUOTE) {
            let q = p + 1;
            let escapes = false;
            for (;;) {
              while (q < n && b[q] !== QUOTE) {
                // A line break is LF, CRLF or a lone CR.
                if (b[q] === LF || (b[q] === CR && b[q + 1] !== LF)) l++;
                q++;
              }
              if (q >= n) break;
              if (b[q + 1] === QUOTE) {
                escapes = true;
                q += 2;
                continue;
              }
              if (q + 1 >= n && !final) q = n; // the closing quote's follower is in the next chunk
              break;
            }
            if (q >= n) {
              if (final) throw this.fail('CSV_UNCLOSED_QUOTE', `cannot parse ${name}: a quoted field starting on line ${recLine} is never closed`, recLine, 'a quoted field is never closed: look for a stray " on or after this line');
              return recStart; // need more data
            }
            fs[base + count] = p + 1;
            fe[base + count] = q;
            fq[base + count] = escapes ? 2 : 1;
            if (q > p + 1) risky |= FORMULA_START[b[p + 1]!]!;
            count++;
            p = q + 1;
            const c = b[p];
            if (c === delimiter) {
              p++;
              continue;
            }
            if (c === LF || c === CR || p >= n) {
              if (p >= n && !final) return recStart;
              complete = true;
              break;
            }
            throw this.fail('CSV_INVALID_QUOTE', `cannot parse ${name}: text follows a closing quote on line ${l}`, l, 'a " inside a quoted field must be doubled (""), or the field must not be quoted');
          }
          const s = p;
          let c = b[p];
          if (c !== undefined) risky |= FORMULA_START[c]!;
          while (p < n && c !== delimiter && c !== LF && c !== CR) {
            if (c === QUOTE) throw this.fail('CSV_INVALID_QUOTE', `cannot parse ${name}: a quote in the middle of field ${count + 1} on line ${l}`, l, 'a " in the middle of a field: double it ("") and quote the whole field, or remove it');
            c = b[++p];
          }
          if (p >= n && !final) return recStart;
          fs[base + count] = s;
          fe[base + count] = p;
          fq[base + count] = 0;
          count++;
          if (c === delimiter) {
            p++;
            if (p >= n && !final) return recStart;
            if (p >= n) {
              if (base + count === fs.length) {
                batch.reserve(count + 1);
                fs = batch.fieldStart;
                fe = batch.fieldEnd;
                fq = batch.quoted;
              }
              fs[base + count] = p;
              fe[base + count] = p;
              fq[base + count] = 0;
              count++;
              complete = true;
              break;
            }
            continue;
          }
          complete = true;
          break;
        }
        if (!complete) return recStart;
        const recEnd = p;
        if (b[p] === CR && b[p + 1] === LF) p += 2;
        else if (b[p] === LF || b[p] === CR) p++;
        l++;
        batch.push(recLine, recStart, recEnd, count, risky);
        line = l;
        i = p;
      }
    } finally {
      this.line = line;
    }
  }
}

/**
 * Batches of records from a byte stream (a UTF-8 BOM is removed). Throws the same error codes as
 * the csv-parse path: CSV_UNCLOSED_QUOTE (the line where the record starts), CSV_INVALID_QUOTE,
 * ENCODING_INVALID, CSV_BINARY, CSV_RECORD_TOO_LONG. Field counts are checked by the caller.
 * One batch object is reused: it is valid until the next one is asked for.
 */
export async function* fastBatches(chunks: AsyncIterable<Buffer | string>, opts: FastReaderOptions): AsyncGenerator<FastBatch> {
  const { name } = opts;
  const parser = new ChunkParser(name, opts.delimiter, opts.wasm !== false);
  if (opts.line !== undefined) parser.line = opts.line;
  const batch = new FastBatch();
  let carry: Buffer | undefined;
  let offset = opts.offset ?? 0; // file offset of the first byte of the unparsed data
  let first = opts.partOfFile !== true;
  const position = opts.position ?? { line: 0 };

  const limit = opts.maxRecordBytes ?? MAX_RECORD_BYTES;
  const fail = (b: Buffer, code: string, message: string, at: number, hint: string): RapportError => {
    let l = parser.line;
    for (let i = 0; i < at; i++) if (b[i] === LF) l++;
    return inputError(code, message, { location: { file: name, line: l }, hint });
  };
  /** NUL bytes mean a binary file (or UTF-16 without its BOM): refused at the first chunk that has one. */
  const checkText = (b: Buffer) => {
    const nul = b.indexOf(0);
    if (nul >= 0) {
      throw fail(b, 'CSV_BINARY', `${name} is not a text file (it contains NUL bytes; the first at byte ${offset + nul + 1})`, nul, 'is this a spreadsheet or another binary file? save it as CSV, or pass an .xlsx file by name; a UTF-16 text without a byte-order mark needs --encoding utf-16le');
    }
  };
  const check = (b: Buffer, end: number) => {
    if (!isUtf8(b.subarray(0, end))) {
      const at = firstInvalidUtf8(b.subarray(0, end));
      throw fail(b, 'ENCODING_INVALID', `${name} is not valid utf-8 (byte 0x${b[at]!.toString(16).padStart(2, '0')} cannot start or continue a character)`, at, 'the file is probably in a Windows or Latin encoding: try --encoding windows-1252 (or latin1), or save it as "CSV UTF-8"');
    }
  };

  for await (const raw of chunks) {
    let chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    if (first) {
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
      first = false;
    }
    const carried = carry !== undefined;
    const b = carry ? Buffer.concat([carry, chunk]) : chunk;
    checkText(b);
    // Validate up to the last line feed: a character split across chunks is judged with the next one.
    const lastLf = b.lastIndexOf(LF);
    if (lastLf < 0) {
      if (b.length > limit) throw recordTooLong(name, parser.line, limit);
      carry = b;
      continue;
    }
    check(b, lastLf + 1);
    const startLine = parser.line;
    batch.reset(b);
    const consumed = parser.parse(b.subarray(0, lastLf + 1), false, batch);
    // Only a record begun in an earlier chunk can be longer than the limit (chunks are smaller).
    if (carried && batch.n > 0 && batch.end[0]! - batch.start[0]! > limit) throw recordTooLong(name, startLine, limit);
    position.line = parser.line;
    if (batch.n > 0) yield batch;
    if (parser.failure) throw parser.failure;
    // The rest is carried over (copied: the stream may reuse its chunk).
    carry = consumed < b.length ? Buffer.from(b.subarray(consumed)) : undefined;
    offset += consumed;
    if (carry && carry.length > limit) throw recordTooLong(name, parser.line, limit);
  }
  if (carry && carry.length > 0) {
    check(carry, carry.length);
    batch.reset(carry);
    parser.parse(carry, true, batch);
    position.line = parser.line;
    if (batch.n > 0) yield batch;
    if (parser.failure) throw parser.failure;
  }
}
