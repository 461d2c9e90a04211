/**
 * One-pass sufficient statistics of an item matrix, from which every statistic psych::alpha reports
 * follows: pairwise-complete sums and cross-products (R's cov(use = "pairwise")), the complete-case
 * cross-products (lavaan's ML covariance, for omega), and the moments of each item with its row's
 * mean of answered items (psych's raw.r). Rows can be added one at a time, so a file of any length
 * needs O(k²) memory. Sums are of values shifted by a constant near the data (the "shifted data"
 * algorithm; Chan, Golub & LeVeque, 1983), the scale midpoint or the column means.
 */
import type { PairwiseCovariance } from './covariance.js';
// (covariance.ts imports this module too; only types flow back, so there is no cycle at run time.)
import type { ItemMatrix } from './item-matrix.js';

export interface ItemMoments {
  /** Rows added (each with at least one answered item, as the callers choose them). */
  rows: number;
  pairwise: PairwiseCovariance;
  complete: { cov: number[][]; n: number };
  /** Pearson correlation of each item with its row's mean of answered items (rows where both exist). */
  rRaw: number[];
  /** Mean of each item over the rows where it is answered. */
  means: number[];
}

export class MomentAccumulator {
  rows = 0;
  private full = 0;
  private readonly fullSum: Float64Array;
  private readonly fullCross: Float64Array;
  private readonly n: Float64Array;
  private readonly sa: Float64Array;
  private readonly cross: Float64Array;
  private readonly d: Float64Array;
  private readonly present: Int32Array;
  // raw.r: per item, moments of (row mean t, item x) over rows where the item is answered.
  private readonly rn: Float64Array;
  private readonly rt: Float64Array;
  private readonly rtt: Float64Array;
  private readonly rx: Float64Array;
  private readonly rxx: Float64Array;
  private readonly rtx: Float64Array;

  private readonly tShift: number;

  constructor(
    readonly k: number,
    private readonly shift: Float64Array,
    /** Also collect the item-by-row-mean moments (raw.r); covariances alone need not. */
    private readonly rowMeans = true,
  ) {
    // The row mean is shifted by one constant, so its correlations are unchanged.
    this.tShift = k > 0 ? shift.reduce((a, b) => a + b, 0) / k : 0;
    this.fullSum = new Float64Array(k);
    this.fullCross = new Float64Array(k * k);
    this.n = new Float64Array(k * k);
    this.sa = new Float64Array(k * k);
    this.cross = new Float64Array(k * k);
    this.d = new Float64Array(k);
    this.present = new Int32Array(k);
    this.rn = new Float64Array(k);
    this.rt = new Float64Array(k);
    this.rtt = new Float64Array(k);
    this.rx = new Float64Array(k);
    this.rxx = new Float64Array(k);
    this.rtx = new Float64Array(k);
  }

  /** Adds one row (NaN = missing), read from `values` at `offset`. */
  add(values: ArrayLike<number>, offset = 0): void {
    const { k, d, present, shift } = this;
    let q = 0;
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const x = values[offset + j]!;
      if (x === x) {
        d[q] = x - shift[j]!;
        present[q++] = j;
        sum += x;
      }
    }
    this.rows++;
    if (q === 0) return;
    const t = sum / q - this.tShift;
    for (let i = 0; this.rowMeans && i < q; i++) {
      const a = present[i]!;
      const x = d[i]!;
      this.rn[a]!++;
      this.rt[a]! += t;
      this.rtt[a]! += t * t;
      this.rx[a]! += x;
      this.rxx[a]! += x * x;
      this.rtx[a]! += t * x;
    }
    if (q === k) {
      this.full++;
      for (let a = 0; a < k; a++) {
        const da = d[a]!;
        this.fullSum[a]! += da;
        const base = a * k;
        for (let b = 0; b <= a; b++) this.fullCross[base + b]! += da * d[b]!;
      }
      return;
    }
    for (let i = 0; i < q; i++) {
      const a = present[i]!;
      const da = d[i]!;
      for (let j = 0; j <= i; j++) {
        const b = present[j]!;
        this.n[a * k + b]!++;
        this.sa[a * k + b]! += da;
        if (a !== b) this.sa[b * k + a]! += d[j]!;
        this.cross[a * k + b]! += da * d[j]!;
      }
    }
  }

  finish(): ItemMoments {
    const { k, full, fullSum, fullCross } = this;
    const matrix = () => Array.from({ length: k }, () => new Array<number>(k).fill(Number.NaN));
    const cov = matrix();
    const completeCov = matrix();
    const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    for (let a = 0; a < k; a++) {
      for (let b = 0; b <= a; b++) {
        completeCov[a]![b] = completeCov[b]![a] = (fullCross[a * k + b]! - (fullSum[a]! * fullSum[b]!) / full) / full;
        const nab = full + this.n[a * k + b]!;
        const xa = fullSum[a]! + this.sa[a * k + b]!;
        const xb = fullSum[b]! + this.sa[b * k + a]!;
        const xab = fullCross[a * k + b]! + this.cross[a * k + b]!;
        counts[a]![b] = counts[b]![a] = nab;
        if (nab >= 2) cov[a]![b] = cov[b]![a] = (xab - (xa * xb) / nab) / (nab - 1);
      }
    }
    const rRaw = Array.from({ length: k }, (_, a) => {
      const n = this.rn[a]!;
      if (n < 2) return Number.NaN;
      const st = this.rtt[a]! - this.rt[a]! ** 2 / n;
      const sx = this.rxx[a]! - this.rx[a]! ** 2 / n;
      return (this.rtx[a]! - (this.rt[a]! * this.rx[a]!) / n) / Math.sqrt(st * sx);
    });
    const means = Array.from({ length: k }, (_, a) => {
      const n = full + this.n[a * k + a]!;
      return n > 0 ? this.shift[a]! + (fullSum[a]! + this.sa[a * k + a]!) / n : Number.NaN;
    });
    return { rows: this.rows, pairwise: { cov, counts }, complete: { cov: completeCov, n: full }, rRaw, means };
  }
}

/** Column means over the answered cells (a good shift for a matrix held in memory). */
export function columnMeans(m: ItemMatrix, rows?: ArrayLike<number>): Float64Array {
  const k = m.cols;
  const sum = new Float64Array(k);
  const cnt = new Float64Array(k);
  const nRows = rows ? rows.length : m.rows;
  for (let t = 0; t < nRows; t++) {
    const o = (rows ? rows[t]! : t) * k;
    for (let j = 0; j < k; j++) {
      const x = m.values[o + j]!;
      if (x === x) {
        sum[j]! += x;
        cnt[j]!++;
      }
    }
  }
  for (let j = 0; j < k; j++) sum[j] = cnt[j]! > 0 ? sum[j]! / cnt[j]! : 0;
  return sum;
}

/** The moments of a matrix held in memory (`rowMeans: false` skips raw.r, for covariances only). */
export function matrixMoments(m: ItemMatrix, rows?: ArrayLike<number>, rowMeans = true): ItemMoments {
  const acc = new MomentAccumulator(m.cols, columnMeans(m, rows), rowMeans);
  const nRows = rows ? rows.length : m.rows;
  for (let t = 0; t < nRows; t++) acc.add(m.values, (rows ? rows[t]! : t) * m.cols);
  return acc.finish();
}
