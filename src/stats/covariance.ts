/**
 * Covariance matrices as R computes them. Pure. They take an optional list of row indices (repeats
 * allowed), so a bootstrap resample needs no copy of the data.
 */
import type { ItemMatrix } from './item-matrix.js';
import { matrixMoments, type PairwiseCovariance } from './moments.js';

export type { PairwiseCovariance };

export interface CovarianceSweep {
  /** R's cov(use = "pairwise.complete.obs"). */
  pairwise: PairwiseCovariance;
  /** Covariance of the complete rows with divisor N (lavaan's ML input), and N. */
  complete: { cov: number[][]; n: number };
}

/**
 * Both covariance matrices from one sweep over the rows (src/stats/moments.ts does the sweep):
 * pairwise-complete, as R's `cov(x, use = "pairwise.complete.obs")` — for each pair of items, the
 * rows in which both are answered, their means over those rows, and Σ(x − x̄)(y − ȳ) / (n_xy − 1);
 * and the complete-case covariance with divisor N (lavaan's ML input).
 * Example: rows (1,2), (2,NaN), (3,6) -> cov(x,y) over rows 1 and 3 = (−1·−2 + 1·2)/1 = 4.
 */
export function covarianceSweep(m: ItemMatrix, rows?: ArrayLike<number>): CovarianceSweep {
  const { pairwise, complete } = matrixMoments(m, rows, false);
  return { pairwise, complete };
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
