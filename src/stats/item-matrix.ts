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
