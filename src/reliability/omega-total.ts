/** Omega total from a covariance matrix of complete cases (see src/stats/omega.ts for the model). */
import { completeCaseCovariance } from '../stats/covariance.js';
import type { ItemMatrix } from '../stats/item-matrix.js';
import { fitOneFactor, type OneFactorFit } from '../stats/omega.js';

export interface OmegaResult {
  omega: number;
  /** Complete cases the factor model was fitted to. */
  n: number;
  fit?: OneFactorFit;
  reason?: string;
}

/** Omega total on the complete cases among the given rows (default all), or why it is not available. */
export function omegaTotal(m: ItemMatrix, rows?: ArrayLike<number>): OmegaResult {
  return omegaFromCovariance(completeCaseCovariance(m, rows), m.cols);
}

/** `start`: where the factor fit starts (see fitOneFactor). */
export function omegaFromCovariance({ cov, n }: { cov: number[][]; n: number }, k: number, start?: { lambda: number[]; theta: number[] }): OmegaResult {
  if (k < 3) return { omega: Number.NaN, n, reason: 'a one-factor model needs at least 3 items to be identified' };
  if (n <= k) return { omega: Number.NaN, n, reason: `only ${n} complete cases for ${k} items` };
  try {
    const fit = fitOneFactor(cov, start ? { start } : {});
    if (!fit.converged) return { omega: Number.NaN, n, fit, reason: 'the factor model did not converge' };
    return { omega: fit.omega, n, fit };
  } catch (err) {
    return { omega: Number.NaN, n, reason: (err as Error).message };
  }
}

