/**
 * The line kernel (split.wat), one per thread, behind a small interface of typed arrays:
 * - split: the simple lines of a loaded buffer (no quote, no CR, under 64 KB) into records and
 *   field bounds, as the JavaScript reader would split them;
 * - items (DigitRows): a whole batch's one-digit answers of one questionnaire at once, with each
 *   scale's sum and count of answered items (exact integers);
 * - assemble (RowAssembler): score's output rows, each record's bytes as read and its codes.
 * Anything the kernel does not take (quotes, other answers, formula-like cells) is left to the
 * JavaScript paths, which give the same results (test/input and test/scoring compare them).
 * It knows the reader's batches only by the shape below (LineBatch), so it imports nothing.
 */
import { ensureMemory, instantiateKernel, type KernelMemory } from './instantiate.js';
import { WASM_BASE64 as SPLIT_WASM } from './split-wasm.js';

/** 1 for the bytes a spreadsheet formula can start with: = + - @ tab CR (the kernel stops at rows with such a cell). */
export const FORMULA_START = new Uint8Array(256);
for (const c of [0x3d, 0x2b, 0x2d, 0x40, 0x09, 0x0d]) FORMULA_START[c] = 1;

let ZEROS = new Uint8Array(1 << 16);
/** A view of n zero bytes, shared: the `quoted` flags of fields lent from the kernel (never written). */
function zeros(n: number): Uint8Array<ArrayBuffer> {
  if (ZEROS.length < n) ZEROS = new Uint8Array(Math.max(n, 2 * ZEROS.length));
  return ZEROS.subarray(0, n);
}

/**
 * A batch of records as the byte reader holds it (src/input/csv-batch.ts FastBatch): records
 * [first, n) with their byte bounds and lines, their fields' bounds in flat arrays, and the number
 * of the kernel load that holds the batch's bytes (epoch, -1 if none).
 */
export interface LineBatch {
  n: number;
  first: number;
  epoch: number;
  nFields: number;
  start: Int32Array;
  end: Int32Array;
  field: Int32Array;
  fieldStart: Int32Array;
  fieldEnd: Int32Array;
  quoted: Uint8Array;
  reserveMany(records: number, fields: number): void;
  push(line: number, start: number, end: number, count: number, formulaLike: number): void;
  lend(fieldStart: Int32Array<ArrayBuffer>, fieldEnd: Int32Array<ArrayBuffer>, quoted: Uint8Array<ArrayBuffer>): void;
  settle(): void;
}

interface SplitKernel {
  memory: KernelMemory;
  split: (p0: number, end: number, delimiter: number, delta: number, rec: number, fs: number, fe: number) => number;
  items: (
    nrec: number, rec: number, fs: number, fe: number, input: number,
    cols: number, rev: number, n: number, min: number, max: number,
    sc: number, sci: number, ns: number,
    ans: number, vals: number, sums: number, tmp: number,
  ) => number;
  assemble: (r0: number, r1: number, pos: number, input: number, codes: number, groups: number, ng: number, strs: number, strTab: number, status: number, out: number) => number;
}

/**
 * The kernel's memory, in bytes: the formula table at 0; the counts of the last split at 256 and 260
 * and the end of `assemble`'s output at 264; the status texts at STATUS_TEXTS; PLAN_SLOTS plans for
 * `items` (PLAN_BYTES each) from PLANS; and from INPUT the buffer loaded, then the split's records and
 * fields, then the copies and results of `items`, then RowAssembler's codes, strings and output.
 */
const STATUS_TEXTS = 272;
/** The number of scales of each instrument `assemble` writes (at most MAX_GROUPS). */
const GROUPS = 384;
export const MAX_GROUPS = 32;
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
 * The WebAssembly kernel (split.wat), one per thread, shared by its readers:
 * - split: the simple lines of a buffer split as simpleRecord's byte loop splits them, with the
 *   same records and fields. The buffer is copied into the kernel's memory once (load), then split
 *   from any line on, as often as the parser comes back to it after a line it parsed itself.
 * - items: the one-digit answers of a whole batch (DigitRows), while the batch's buffer is the one
 *   loaded (each load has a number, `loads`; a batch keeps the one that holds its bytes).
 */
export class LineKernel {
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
  private whole: { batch: LineBatch; records: number; fields: number } | undefined;
  /** The batch (and its load) whose field bounds were last copied for `items`, at `copied`. */
  private copiedBatch: LineBatch | undefined;
  private copiedLoad = -1;
  private copied = { fs: 0, fe: 0, rec: 0, end: 0 };
  /** The plans in the PLAN_SLOTS slots, and the next slot to reuse. */
  private readonly slotPlans: Array<DigitPlan | undefined> = new Array(PLAN_SLOTS).fill(undefined);
  private nextSlot = 0;

  /** The batch the kernel's field bounds were last lent to (LineBatch.lend). */
  private lent: LineBatch | undefined;

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
  split(i: number, delimiter: number, batch: LineBatch, line: number): number {
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
  items(batch: LineBatch, plan: DigitPlan, out: DigitRows): boolean {
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
  assembleRegions(batch: LineBatch, groups: readonly number[]): { pos: number; codes: number; strTab: number; strs: number; out: number; bytes: Uint8Array; words: Int32Array } {
    const nrec = batch.n - batch.first;
    const scales = groups.reduce((a, b) => a + b, 0);
    const stride = scales + 2 * groups.length;
    const rowBytes = nrec === 0 ? 0 : batch.end[batch.n - 1]! - batch.start[batch.first]!;
    const pos = align16(this.itemsEnd);
    const codes = align16(pos + 8 * nrec);
    const strTab = align16(codes + 4 * nrec * stride);
    const strs = align16(strTab + 8 * nrec * scales);
    const out = align16(strs + 32 * nrec * scales);
    this.grow(out + rowBytes + nrec * (32 * scales + 48 * groups.length + 1));
    const words = this.words;
    groups.forEach((ns, g) => {
      words[(GROUPS >> 2) + g] = ns;
    });
    for (let r = 0, p = pos >> 2; r < nrec; r++, p += 2) {
      words[p] = batch.start[batch.first + r]!;
      words[p + 1] = batch.end[batch.first + r]!;
    }
    return { pos, codes, strTab, strs, out, bytes: this.bytes, words };
  }

  assemble(r0: number, r1: number, pos: number, codes: number, groups: number, strs: number, strTab: number, out: number): { next: number; end: number } {
    const next = this.kernel.assemble(r0, r1, pos, INPUT, codes, GROUPS, groups, strs, strTab, STATUS_TEXTS, out);
    return { next, end: this.words[66]! };
  }
}

const splitKernel = instantiateKernel<SplitKernel>(SPLIT_WASM);
/** The kernel of this thread, or undefined where WebAssembly (or its SIMD instructions) is not available. */
export const lineKernel = splitKernel && new LineKernel(splitKernel);

/**
 * One questionnaire's answers for every record of a batch at once, read by the WebAssembly kernel
 * when they are all one-digit answers or empty (what FastRecord.digits reads one row at a time):
 * for batch record j, `answered[j]` (-1: read that record with readItems), its values (reverse-keyed,
 * NaN when empty) at values[j * n …] if asked for, and each scale's sum and number of answered
 * items at sums[(j * scales + s) * 2 …]. Sums of whole numbers are exact, so a scale score made from
 * them is the one scoreItems makes. Valid until the next read.
 */
export class DigitRows {
  answered: Int32Array = new Int32Array(0);
  values: Float64Array = new Float64Array(0);
  sums = new Int32Array(0);

  constructor(
    readonly plan: DigitPlan,
    readonly wantValues: boolean,
  ) {}

  /** Reads the batch's records; false when it cannot (not a byte-level batch, no WebAssembly, bytes no longer loaded). */
  read(batch: LineBatch): boolean {
    if (lineKernel === undefined || batch.epoch !== lineKernel.loads || batch.epoch < 0) return false;
    return lineKernel.items(batch, this.plan, this);
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
  /**
   * Per record, from codeAt + r * stride, per instrument: status (-1 in the record's first word: the
   * caller writes this record), answered, and per scale a whole number, -1 (none) or string().
   */
  codes: Int32Array = new Int32Array(0);
  codeAt = 0;
  private bytes: Uint8Array = new Uint8Array(0);
  private regions = { pos: 0, codes: 0, strTab: 0, strs: 0, out: 0 };
  private strings = 0;
  private strBytes = 0;
  private nrec = 0;

  /** Words of codes per record. */
  readonly stride: number;

  /** `groups`: the number of scales of each instrument, in the order they are written. */
  constructor(readonly groups: readonly number[]) {
    if (groups.length > MAX_GROUPS) throw new Error(`RowAssembler: at most ${MAX_GROUPS} instruments`);
    this.stride = groups.reduce((a, b) => a + b + 2, 0);
  }

  /** Whether the kernel can write this batch (its bytes still loaded); then `codes` is ready to fill. */
  begin(batch: LineBatch): boolean {
    if (lineKernel === undefined || batch.epoch < 0 || batch.epoch !== lineKernel.loads) return false;
    const r = lineKernel.assembleRegions(batch, this.groups);
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
    const { next, end } = lineKernel!.assemble(from, this.nrec, pos, codes, this.groups.length, strs, strTab, out);
    if (end > out) take(this.bytes, out, end);
    return next;
  }
}

/**
 * Parses chunks into batches. Line numbers carry over from chunk to chunk. A malformed record
 * ends the batch before it and leaves its error in `failure`, so the records before it are still
 * handed out first (as a record-at-a-time reader would).
 */
