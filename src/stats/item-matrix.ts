/**
 * Rows × items of numbers, NaN for a missing answer, stored row-major in one Float64Array.
 * The shape every reliability statistic takes.
 */
export interface ItemMatrix {
  rows: number;
  cols: number;
  values: Float64Array;
}

export function itemMatrix(rows: number, cols: number, values?: Float64Array): ItemMatrix {
  return { rows, cols, values: values ?? new Float64Array(rows * cols).fill(Number.NaN) };
}

/** How a RowStore keeps its values: doubles; whole numbers 0–254 in a byte (255 = missing); 0–14 in half a byte (15 = missing). */
export type RowKind = 'double' | 'byte' | 'nibble';

/**
 * Rows of `cols` numbers appended one at a time, in chunks of CHUNK_ROWS rows (never copied as it
 * grows, so holding a million rows needs no second copy on the way). Whole-number answers (a
 * Likert scale) are kept in a byte each, or in half a byte when they are 0–14 (a 1–7 scale: a
 * million rows of 36 answers in 18 MB), with the values unchanged.
 */
export class RowStore {
  private readonly chunks: Array<Float64Array | Uint8Array> = [];
  rows = 0;
  constructor(
    readonly cols: number,
    private readonly kind: RowKind = 'double',
  ) {}
  /** The smallest kind that holds every value of a response scale. */
  static kindFor(scale: { min: number; max: number; continuous?: boolean }): RowKind {
    if (scale.continuous === true || !Number.isInteger(scale.min) || !Number.isInteger(scale.max) || scale.min < 0) return 'double';
    return scale.max <= 14 ? 'nibble' : scale.max < 255 ? 'byte' : 'double';
  }
  private chunk(rows: number): Float64Array | Uint8Array {
    const cells = rows * Math.max(1, this.cols);
    return this.kind === 'double' ? new Float64Array(cells) : new Uint8Array(this.kind === 'nibble' ? Math.ceil(cells / 2) : cells);
  }
  /** The chunk the next row goes in, and the row's first cell in it. */
  private room(): { data: Float64Array | Uint8Array; o: number } {
    const within = this.rows & (CHUNK_ROWS - 1);
    if (within === 0) {
      // A first chunk sized to what has come so far, so a small table stays small.
      this.chunks.push(this.chunk(this.rows === 0 ? 1024 : CHUNK_ROWS));
    } else if (this.rows === 1024 && this.chunks.length === 1) {
      const full = this.chunk(CHUNK_ROWS);
      full.set(this.chunks[0]!);
      this.chunks[0] = full;
    }
    return { data: this.chunks[this.chunks.length - 1]!, o: within * this.cols };
  }
  /** Appends the row `row[offset + columns[j]]` (all of `row` from offset when columns is not given). */
  push(row: ArrayLike<number>, columns?: readonly number[], offset = 0): void {
    const k = this.cols;
    const { data, o } = this.room();
    // One loop per kind of store, so that each writes one kind of array.
    if (this.kind === 'double') {
      const doubles = data as Float64Array;
      for (let j = 0; j < k; j++) doubles[o + j] = row[offset + (columns ? columns[j]! : j)]!;
    } else {
      const bytes = data as Uint8Array;
      for (let j = 0; j < k; j++) {
        const v = row[offset + (columns ? columns[j]! : j)]!;
        if (this.kind === 'byte') bytes[o + j] = v === v ? v : 255;
        else setNibble(bytes, o + j, v === v ? v : 15);
      }
    }
    this.rows++;
  }
  /** push() for the scorer's item values (a Float64Array, item positions as an Int32Array): one kind of each array, so V8 keeps the loop monomorphic. */
  pushValues(values: Float64Array, columns: Int32Array, offset: number): void {
    const k = this.cols;
    const { data, o } = this.room();
    if (this.kind === 'byte') writeSmall(data as Uint8Array, o, values, columns, offset, k);
    else if (this.kind === 'nibble') writeNibbles(data as Uint8Array, o, values, columns, offset, k);
    else writeLarge(data as Float64Array, o, values, columns, offset, k);
    this.rows++;
  }
  get(row: number, col: number): number {
    const data = this.chunks[Math.floor(row / CHUNK_ROWS)]!;
    const cell = (row & (CHUNK_ROWS - 1)) * this.cols + col;
    if (this.kind === 'double') return data[cell]!;
    if (this.kind === 'byte') {
      const v = data[cell]!;
      return v === 255 ? Number.NaN : v;
    }
    const v = (data[cell >> 1]! >> ((cell & 1) << 2)) & 15;
    return v === 15 ? Number.NaN : v;
  }
  /** Row i as numbers (NaN = missing). */
  row(i: number): Float64Array {
    const out = new Float64Array(this.cols);
    for (let j = 0; j < this.cols; j++) out[j] = this.get(i, j);
    return out;
  }
}

/** Rows per chunk of a RowStore (a power of two, even, so a chunk of nibbles starts on a byte). */
const CHUNK_ROWS = 1 << 16;

/** Cell `cell` of a store of half-bytes set to v (0–15): the low half of byte cell/2 for an even cell, the high half for an odd one. */
function setNibble(bytes: Uint8Array, cell: number, v: number): void {
  const at = cell >> 1;
  bytes[at] = cell & 1 ? (bytes[at]! & 0x0f) | (v << 4) : (bytes[at]! & 0xf0) | v;
}

function writeNibbles(bytes: Uint8Array, o: number, values: Float64Array, columns: Int32Array, offset: number, k: number): void {
  for (let j = 0; j < k; j++) {
    const v = values[offset + columns[j]!]!;
    setNibble(bytes, o + j, v === v ? v : 15);
  }
}

function writeSmall(data: Uint8Array, o: number, values: Float64Array, columns: Int32Array, offset: number, k: number): void {
  for (let j = 0; j < k; j++) {
    const v = values[offset + columns[j]!]!;
    data[o + j] = v === v ? v : 255;
  }
}

function writeLarge(data: Float64Array, o: number, values: Float64Array, columns: Int32Array, offset: number, k: number): void {
  for (let j = 0; j < k; j++) data[o + j] = values[offset + columns[j]!]!;
}

/** Builds a matrix from arrays of rows (tests, small data). */
export function itemMatrixFromRows(data: ReadonlyArray<ReadonlyArray<number>>): ItemMatrix {
  const rows = data.length;
  const cols = rows === 0 ? 0 : data[0]!.length;
  const values = new Float64Array(rows * cols);
  data.forEach((row, i) => row.forEach((v, j) => (values[i * cols + j] = v)));
  return { rows, cols, values };
}

/** The rows at `indices` (repeats allowed: bootstrap resamples). */
export function selectRows(m: ItemMatrix, indices: ArrayLike<number>): ItemMatrix {
  const out = new Float64Array(indices.length * m.cols);
  for (let r = 0; r < indices.length; r++) out.set(m.values.subarray(indices[r]! * m.cols, indices[r]! * m.cols + m.cols), r * m.cols);
  return { rows: indices.length, cols: m.cols, values: out };
}

/** The given columns, in the given order. */
export function selectColumns(m: ItemMatrix, columns: readonly number[]): ItemMatrix {
  const out = new Float64Array(m.rows * columns.length);
  for (let r = 0; r < m.rows; r++) for (let j = 0; j < columns.length; j++) out[r * columns.length + j] = m.values[r * m.cols + columns[j]!]!;
  return { rows: m.rows, cols: columns.length, values: out };
}

/** Indices of the rows with no missing value (listwise deletion). */
export function completeRows(m: ItemMatrix): number[] {
  const keep: number[] = [];
  outer: for (let r = 0; r < m.rows; r++) {
    for (let j = 0; j < m.cols; j++) if (Number.isNaN(m.values[r * m.cols + j]!)) continue outer;
    keep.push(r);
  }
  return keep;
}
