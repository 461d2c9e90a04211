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
 * Rows of `cols` numbers appended one at a time, in one growing typed array. When every value is a
 * whole number 0–254 (a Likert scale), `small` keeps each in a byte (255 = missing): an eighth of
 * the memory, with the values unchanged.
 */
export class RowStore {
  private data: Float64Array | Uint8Array;
  rows = 0;
  constructor(
    readonly cols: number,
    private readonly small = false,
  ) {
    const size = Math.max(1, cols) * 1024;
    this.data = small ? new Uint8Array(size) : new Float64Array(size);
  }
  /** Whether values of a response scale fit the small store (whole numbers within 0–254). */
  static fitsSmall(scale: { min: number; max: number; continuous?: boolean }): boolean {
    return scale.continuous !== true && Number.isInteger(scale.min) && Number.isInteger(scale.max) && scale.min >= 0 && scale.max < 255;
  }
  /** Room for one more row (the store doubles when full). */
  private room(): void {
    if ((this.rows + 1) * this.cols <= this.data.length) return;
    const next = this.small ? new Uint8Array(this.data.length * 2) : new Float64Array(this.data.length * 2);
    next.set(this.data);
    this.data = next;
  }
  /** Appends the row `row[offset + columns[j]]` (all of `row` from offset when columns is not given). */
  push(row: ArrayLike<number>, columns?: readonly number[], offset = 0): void {
    const k = this.cols;
    this.room();
    const o = this.rows * k;
    // One loop per kind of store, so that each writes one kind of array.
    if (this.small) {
      const data = this.data as Uint8Array;
      for (let j = 0; j < k; j++) {
        const v = row[offset + (columns ? columns[j]! : j)]!;
        data[o + j] = v === v ? v : 255;
      }
    } else {
      const data = this.data as Float64Array;
      for (let j = 0; j < k; j++) data[o + j] = row[offset + (columns ? columns[j]! : j)]!;
    }
    this.rows++;
  }
  /** push() for the scorer's item values (a Float64Array, item positions as an Int32Array): one kind of each array, so V8 keeps the loop monomorphic. */
  pushValues(values: Float64Array, columns: Int32Array, offset: number): void {
    const k = this.cols;
    this.room();
    const o = this.rows * k;
    if (this.small) writeSmall(this.data as Uint8Array, o, values, columns, offset, k);
    else writeLarge(this.data as Float64Array, o, values, columns, offset, k);
    this.rows++;
  }
  get(row: number, col: number): number {
    const v = this.data[row * this.cols + col]!;
    return this.small && v === 255 ? Number.NaN : v;
  }
  /** Row i as numbers (NaN = missing). */
  row(i: number): Float64Array {
    const out = new Float64Array(this.cols);
    for (let j = 0; j < this.cols; j++) out[j] = this.get(i, j);
    return out;
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
