/**
 * MomentAccumulator's streaming pass in WebAssembly (`rows` in wasm/cross.wat): each accumulator's
 * state (its two blocks and all its sums) lives in the kernel's memory, and a batch's values are put
 * in that same memory (by DigitRows), so adding a row costs no JavaScript. The kernel does what
 * addColumns, addLoaded (weight 1) and flush do, each operation in their order, so a state's sums
 * are bit for bit those of a MomentAccumulator given the same rows (test/stats/wasm-moments.test.ts).
 * take() hands them over as MomentAccumulator.sums() does, to be merged with addSums.
 */
import type { MomentSums } from './moments.js';
import { BLOCK } from './cross-products.js';
import { WASM_BASE64 } from '../kernels/cross-wasm.js';
import { ensureMemory, instantiateKernel, type KernelMemory } from '../kernels/instantiate.js';

interface RowsKernel {
  memory: KernelMemory;
  rows: (tab: number, groups: number, vals: number, n: number, r: number, nrec: number, weights: number) => void;
  flush: (state: number) => void;
}

/** A state's header in bytes (see cross.wat): counts and sums, block fill, k, listwise, 20 addresses, weighted. */
const HEADER = 160;
/** The sums, in MomentSums.arrays order, with their lengths for k items. */
const SUMS = (k: number) => [k, k * k, k, k * k, k * k, k * k, k, k, k];

/** A batch's rows in the kernel's memory: n values a row (NaN = missing), each row's group and weight. */
export interface RowBuffer {
  values: Float64Array<ArrayBuffer>;
  groups: Int32Array<ArrayBuffer>;
  weights: Int32Array<ArrayBuffer>;
  valuesAt: number;
  groupsAt: number;
  weightsAt: number;
}

/** The states of one scale, one per group, and the table of their addresses the kernel reads. */
export class StateTable {
  readonly states: number[] = [];
  at = 0;
  capacity = 0;

  constructor(
    readonly columns: Int32Array,
    readonly shift: Float64Array,
    readonly listwise: boolean,
    /** Rows come with weights (MomentAccumulator.addWeighted, the bootstrap). */
    readonly weighted: boolean,
  ) {}
}

const align16 = (x: number) => (x + 15) & ~15;

export class WasmMoments {
  private top = 16;
  private f64!: Float64Array;
  private i32!: Int32Array;
  private readonly buffers: Array<{ at: number; bytes: number }> = [];

  private constructor(private readonly kernel: RowsKernel) {
    this.views();
  }

  /** The kernel with a memory of its own, or undefined where WebAssembly SIMD is not available. */
  static create(): WasmMoments | undefined {
    const kernel = instantiateKernel<RowsKernel>(WASM_BASE64);
    return kernel && new WasmMoments(kernel);
  }

  private views(): void {
    this.f64 = new Float64Array(this.kernel.memory.buffer);
    this.i32 = new Int32Array(this.kernel.memory.buffer);
  }

  /** `bytes` of memory (16-aligned). Growing the memory detaches the views made before (see rowBuffers). */
  private alloc(bytes: number): number {
    const at = align16(this.top);
    this.top = at + align16(bytes);
    if (ensureMemory(this.kernel.memory, this.top)) this.views();
    return at;
  }

  /** A new, empty state: the sums of k = columns.length items, each shifted by shift[j]. */
  private newState(table: StateTable): number {
    const { columns, shift } = table;
    const k = columns.length;
    const wBlock = table.weighted ? 8 * BLOCK * k : 0;
    const sizes = [4 * k, 8 * k, ...SUMS(k).map((n) => 8 * n), 8 * (2 * k + (k * (k + 1)) / 2), 8 * BLOCK * k, 8 * BLOCK, 8 * BLOCK * k, 8 * BLOCK, 4 * k, 2 * BLOCK * k, wBlock, wBlock];
    const st = this.alloc(HEADER + sizes.reduce((a, b) => a + align16(b), 0));
    const { f64, i32 } = this;
    // The row means' shift, as MomentAccumulator computes it.
    f64[st / 8 + 5] = k > 0 ? shift.reduce((a, b) => a + b, 0) / k : 0;
    i32[st / 4 + 14] = k;
    i32[st / 4 + 15] = table.listwise ? 1 : 0;
    i32[st / 4 + 36] = table.weighted ? 1 : 0;
    let p = st + HEADER;
    sizes.forEach((size, i) => {
      i32[st / 4 + 16 + i] = p;
      p += align16(size);
    });
    // The items' positions as byte offsets in a row of doubles.
    i32.set(columns.map((c) => 8 * c), i32[st / 4 + 16]! / 4);
    f64.set(shift, i32[st / 4 + 17]! / 8);
    return st;
  }

  /** A table of per-group states for a scale whose items are at `columns` of a row. */
  table(columns: ArrayLike<number>, shift: Float64Array, listwise: boolean, weighted = false): StateTable {
    return new StateTable(Int32Array.from(columns), shift, listwise, weighted);
  }

  /** Makes sure `table` has states for groups 0 … group (this may grow the memory: do it before rowBuffers). */
  ensureGroup(table: StateTable, group: number): void {
    while (table.states.length <= group) {
      const st = this.newState(table);
      if (table.states.length >= table.capacity) {
        const capacity = Math.max(4, 2 * table.capacity);
        const at = this.alloc(4 * capacity);
        this.i32.set(table.states, at / 4);
        table.at = at;
        table.capacity = capacity;
      }
      this.i32[table.at / 4 + table.states.length] = st;
      table.states.push(st);
    }
  }

  /**
   * Room for a batch of nrec rows of each width given (one buffer per questionnaire), and views of
   * it. Make every state the batch needs first: the views stay valid until the next allocation.
   */
  rowBuffers(nrec: number, widths: readonly number[]): RowBuffer[] {
    widths.forEach((n, i) => {
      const bytes = align16(8 * nrec * n) + 2 * align16(4 * nrec);
      const b = this.buffers[i];
      if (b !== undefined && b.bytes >= bytes) return;
      const size = Math.max(bytes, 2 * (b?.bytes ?? 0));
      this.buffers[i] = { at: this.alloc(size), bytes: size };
    });
    const buf = this.kernel.memory.buffer;
    return widths.map((n, i) => {
      const valuesAt = this.buffers[i]!.at;
      const groupsAt = valuesAt + align16(8 * nrec * n);
      const weightsAt = groupsAt + align16(4 * nrec);
      return {
        values: new Float64Array(buf, valuesAt, nrec * n),
        groups: new Int32Array(buf, groupsAt, nrec),
        weights: new Int32Array(buf, weightsAt, nrec),
        valuesAt,
        groupsAt,
        weightsAt,
      };
    });
  }

  /**
   * Adds rows 0 … nrec − 1 of `rows` (n values each) to the states of `table`: row i to the state
   * of group rows.groups[i], or of group 0 when not `grouped`; for a weighted table, rows.weights[i]
   * times (0: left out), as MomentAccumulator.addWeighted.
   */
  add(table: StateTable, rows: RowBuffer, n: number, nrec: number, grouped: boolean): void {
    if (table.columns.length > 0 && nrec > 0) this.kernel.rows(table.at, grouped ? rows.groupsAt : 0, rows.valuesAt, n, 0, nrec, table.weighted ? rows.weightsAt : 0);
  }

  /**
   * Group g's sums (its blocks flushed), as MomentAccumulator.sums() gives them, and empties its
   * state; null when it has no row.
   */
  take(table: StateTable, group: number): MomentSums | null {
    const st = table.states[group];
    if (st === undefined) return null;
    this.kernel.flush(st);
    const { f64, i32 } = this;
    const h = st / 8;
    const rows = f64[h]!;
    if (rows === 0) return null;
    const k = table.columns.length;
    const arrays = SUMS(k).map((length, i) => {
      const at = i32[st / 4 + 18 + i]! / 8;
      const out = f64.slice(at, at + length);
      f64.fill(0, at, at + length);
      return out;
    });
    const sums: MomentSums = { rows, full: f64[h + 1]!, part: f64[h + 2]!, tSum: f64[h + 3]!, ttSum: f64[h + 4]!, arrays };
    f64.fill(0, h, h + 5);
    return sums;
  }
}
