/**
 * Covariance matrices as R computes them. Pure.
 *
 * Both functions take an optional list of row indices (repeats allowed), so a bootstrap resample
 * needs no copy of the data. They make one sweep over the rows with the data shifted by column
 * means (the "shifted data" algorithm; Chan, Golub & LeVeque, 1983), which is as accurate as two
 * passes when the shift is near the mean, and much faster than a pass per pair of items.
 */
import type { ItemMatrix } from './item-matrix.js';

export interface PairwiseCovariance {
  /** k × k sample covariances (divisor n − 1); NaN where a pair has fewer than 2 joint answers. */
  cov: number[][];
  /** k × k number of rows in which both items are answered. */
  counts: number[][];
}

/** Column means over the answered cells of the given rows (0 when a column has none). */
function columnShift(m: ItemMatrix, rows: ArrayLike<number> | undefined, nRows: number): Float64Array {
  const k = m.cols;
  const sum = new Float64Array(k);
  const cnt = new Float64Array(k);
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

export interface CovarianceSweep {
  /** R's cov(use = "pairwise.complete.obs"). */
  pairwise: PairwiseCovariance;
  /** Covariance of the complete rows with divisor N (lavaan's ML input), and N. */
  complete: { cov: number[][]; n: number };
}

/**
 * Both covariance matrices from one sweep over the rows. Complete rows share one set of
 * accumulators, which is also the complete-case covariance; rows with a gap update only the
 * pairs they answer.
 *
 * Pairwise-complete covariance, as R's `cov(x, use = "pairwise.complete.obs")`: for each pair of
 * items, the rows in which both are answered, their means over those rows, and
 * Σ(x − x̄)(y − ȳ) / (n_xy − 1).
 * Example: rows (1,2), (2,NaN), (3,6) -> cov(x,y) over rows 1 and 3 = (−1·−2 + 1·2)/1 = 4.
 */
export function covarianceSweep(m: ItemMatrix, rows?: ArrayLike<number>): CovarianceSweep {
  const k = m.cols;
  const nRows = rows ? rows.length : m.rows;
  const shift = columnShift(m, rows, nRows);
  let full = 0;
  const fullSum = new Float64Array(k);
  const fullCross = new Float64Array(k * k);
  const n = new Float64Array(k * k);
  const sa = new Float64Array(k * k); // Σ x_a over rows where a and b are answered (index a*k+b)
  const cross = new Float64Array(k * k);
  const d = new Float64Array(k);
  const present = new Int32Array(k);
  for (let t = 0; t < nRows; t++) {
    const o = (rows ? rows[t]! : t) * k;
    let q = 0;
    for (let j = 0; j < k; j++) {
      const x = m.values[o + j]!;
      if (x === x) {
        d[q] = x - shift[j]!;
        present[q++] = j;
      }
    }
    if (q === k) {
      full++;
      for (let a = 0; a < k; a++) {
        const da = d[a]!;
        fullSum[a]! += da;
        const base = a * k;
        for (let b = 0; b <= a; b++) fullCross[base + b]! += da * d[b]!;
      }
      continue;
    }
    for (let i = 0; i < q; i++) {
      const a = present[i]!;
      const da = d[i]!;
      for (let j = 0; j <= i; j++) {
        const b = present[j]!;
        n[a * k + b]!++;
        sa[a * k + b]! += da;
        if (a !== b) sa[b * k + a]! += d[j]!;
        cross[a * k + b]! += da * d[j]!;
      }
    }
  }
  const matrix = () => Array.from({ length: k }, () => new Array<number>(k).fill(Number.NaN));
  const cov = matrix();
  const completeCov = matrix();
  const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let a = 0; a < k; a++) {
    for (let b = 0; b <= a; b++) {
      const fc = fullCross[a * k + b]! - (fullSum[a]! * fullSum[b]!) / full;
      completeCov[a]![b] = completeCov[b]![a] = fc / full;
      const nab = full + n[a * k + b]!;
      const xa = fullSum[a]! + sa[a * k + b]!;
      const xb = fullSum[b]! + sa[b * k + a]!;
      const xab = fullCross[a * k + b]! + cross[a * k + b]!;
      counts[a]![b] = counts[b]![a] = nab;
      if (nab >= 2) cov[a]![b] = cov[b]![a] = (xab - (xa * xb) / nab) / (nab - 1);
    }
  }
  return { pairwise: { cov, counts }, complete: { cov: completeCov, n: full } };
}

export const pairwiseCovariance = (m: ItemMatrix, rows?: ArrayLike<number>): PairwiseCovariance => covarianceSweep(m, rows).pairwise;

/** Covariance of the complete rows (divisor N, as lavaan's ML uses) and N; rows with a gap are skipped. */
export const completeCaseCovariance = (m: ItemMatrix, rows?: ArrayLike<number>): { cov: number[][]; n: number } => covarianceSweep(m, rows).complete;

export const mlCovariance = (m: ItemMatrix, rows?: ArrayLike<number>): number[][] => completeCaseCovariance(m, rows).cov;

/** R's `cov2cor`, computed as R does: r_ij = c_ij · (1/sqrt(c_ii)) · (1/sqrt(c_jj)), diagonal exactly 1. */
export function cov2cor(c: readonly (readonly number[])[]): number[][] {
  const inv = c.map((row, i) => Math.sqrt(1 / row[i]!));
  return c.map((row, i) => row.map((v, j) => (i === j ? 1 : inv[i]! * v * inv[j]!)));
}
