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

/**
 * Rows of `cols` numbers appended one at a time, in chunks of CHUNK_ROWS rows (never copied as it
 * grows, so holding a million rows needs no second copy on the way). When every value is a whole
 * number 0–254 (a Likert scale), `small` keeps each in a byte (255 = missing): an eighth of the
 * memory, with the values unchanged.
 */
export class RowStore {
  private readonly chunks: Array<Float64Array | Uint8Array> = [];
  rows = 0;
  constructor(
    readonly cols: number,
    private readonly small = false,
  ) {}
  /** Whether values of a response scale fit the small store (whole numbers within 0–254). */
  static fitsSmall(scale: { min: number; max: number; continuous?: boolean }): boolean {
    return scale.continuous !== true && Number.isInteger(scale.min) && Number.isInteger(scale.max) && scale.min >= 0 && scale.max < 255;
  }
  /** The chunk the next row goes in, and the row's offset in it. */
  private room(): { data: Float64Array | Uint8Array; o: number } {
    const within = this.rows & (CHUNK_ROWS - 1);
    if (within === 0) {
      // A first chunk sized to what has come so far, so a small table stays small.
      const rows = this.rows === 0 ? 1024 : CHUNK_ROWS;
      this.chunks.push(this.small ? new Uint8Array(rows * Math.max(1, this.cols)) : new Float64Array(rows * Math.max(1, this.cols)));
    } else if (this.rows === 1024 && this.chunks.length === 1) {
      const full = this.small ? new Uint8Array(CHUNK_ROWS * Math.max(1, this.cols)) : new Float64Array(CHUNK_ROWS * Math.max(1, this.cols));
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
    if (this.small) {
      const bytes = data as Uint8Array;
      for (let j = 0; j < k; j++) {
        const v = row[offset + (columns ? columns[j]! : j)]!;
        bytes[o + j] = v === v ? v : 255;
      }
    } else {
      const doubles = data as Float64Array;
      for (let j = 0; j < k; j++) doubles[o + j] = row[offset + (columns ? columns[j]! : j)]!;
    }
    this.rows++;
  }
  /** push() for the scorer's item values (a Float64Array, item positions as an Int32Array): one kind of each array, so V8 keeps the loop monomorphic. */
  pushValues(values: Float64Array, columns: Int32Array, offset: number): void {
    const k = this.cols;
    const { data, o } = this.room();
    if (this.small) writeSmall(data as Uint8Array, o, values, columns, offset, k);
    else writeLarge(data as Float64Array, o, values, columns, offset, k);
    this.rows++;
  }
  get(row: number, col: number): number {
    const v = this.chunks[Math.floor(row / CHUNK_ROWS)]![(row & (CHUNK_ROWS - 1)) * this.cols + col]!;
    return this.small && v === 255 ? Number.NaN : v;
  }
  /** Row i as numbers (NaN = missing). */
  row(i: number): Float64Array {
    const out = new Float64Array(this.cols);
    for (let j = 0; j < this.cols; j++) out[j] = this.get(i, j);
    return out;
  }
}

/** Rows per chunk of a RowStore (a power of two). */
const CHUNK_ROWS = 1 << 16;

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
