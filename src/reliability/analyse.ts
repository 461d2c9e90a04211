/**
 * Reliability of one scale from its item matrix (items already reverse-keyed, rows with at least
 * one answer): psych-compatible alpha and item statistics, omega total from a one-factor ML model
 * on the complete cases, optional bootstrap intervals, and the warnings a researcher should see.
 * Pure.
 */
import { type AlphaResult, alphaFromMoments, cronbachAlpha, rawAlpha } from '../stats/alpha.js';
import type { ItemMoments } from '../stats/moments.js';
import { completeCaseCovariance, covarianceSweep } from '../stats/covariance.js';
import { completeRows, type ItemMatrix, selectRows } from '../stats/item-matrix.js';
import { fitOneFactor, type OneFactorFit } from '../stats/omega.js';
import { quantile7 } from '../stats/quantile.js';
import { seededRng } from '../stats/random.js';

export type MissingMode = 'pairwise' | 'listwise';

export interface ReliabilityWarning {
  code: 'NEGATIVE_ITEM_REST' | 'ZERO_VARIANCE' | 'LOW_ALPHA' | 'SMALL_N' | 'HEYWOOD' | 'OMEGA_UNAVAILABLE' | 'ALPHA_UNAVAILABLE' | 'BOOTSTRAP_FAILURES';
  message: string;
}

export interface OmegaResult {
  omega: number;
  /** Complete cases the factor model was fitted to. */
  n: number;
  fit?: OneFactorFit;
  reason?: string;
}

export interface BootstrapResult {
  resamples: number;
  seed: number;
  alpha: [number, number];
  omega: [number, number];
  /** Resamples in which a coefficient could not be computed (left out of the interval). */
  failedAlpha: number;
  failedOmega: number;
}

export interface ScaleReliability {
  alpha: AlphaResult;
  omega: OmegaResult;
  bootstrap?: BootstrapResult;
  warnings: ReliabilityWarning[];
}

/** Omega total on the complete cases among the given rows (default all), or why it is not available. */
export function omegaTotal(m: ItemMatrix, rows?: ArrayLike<number>): OmegaResult {
  return omegaFromCovariance(completeCaseCovariance(m, rows), m.cols);
}

export function omegaFromCovariance({ cov, n }: { cov: number[][]; n: number }, k: number): OmegaResult {
  if (k < 3) return { omega: Number.NaN, n, reason: 'a one-factor model needs at least 3 items to be identified' };
  if (n <= k) return { omega: Number.NaN, n, reason: `only ${n} complete cases for ${k} items` };
  try {
    const fit = fitOneFactor(cov);
    if (!fit.converged) return { omega: Number.NaN, n, fit, reason: 'the factor model did not converge' };
    return { omega: fit.omega, n, fit };
  } catch (err) {
    return { omega: Number.NaN, n, reason: (err as Error).message };
  }
}

/** Percentile intervals (2.5 %, 97.5 %, R type 7) from `resamples` resamples of rows. */
export function bootstrapIntervals(m: ItemMatrix, resamples: number, seed: number): BootstrapResult {
  const rng = seededRng(seed);
  const alphas: number[] = [];
  const omegas: number[] = [];
  const idx = new Int32Array(m.rows);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < m.rows; i++) idx[i] = rng.index(m.rows);
    const sweep = covarianceSweep(m, idx);
    const a = rawAlpha(sweep.pairwise.cov);
    if (Number.isFinite(a)) alphas.push(a);
    const o = omegaFromCovariance(sweep.complete, m.cols).omega;
    if (Number.isFinite(o)) omegas.push(o);
  }
  const interval = (xs: number[]): [number, number] => {
    const s = Float64Array.from(xs).sort();
    return [quantile7(s, 0.025), quantile7(s, 0.975)];
  };
  return { resamples, seed, alpha: interval(alphas), omega: interval(omegas), failedAlpha: resamples - alphas.length, failedOmega: resamples - omegas.length };
}

/** The warnings a researcher should see for a scale's results. */
export function reliabilityWarnings(alpha: AlphaResult, omega: OmegaResult, itemNames: readonly string[]): ReliabilityWarning[] {
  const warnings: ReliabilityWarning[] = [];
  if (alpha.failure) warnings.push({ code: 'ALPHA_UNAVAILABLE', message: `alpha cannot be computed: ${alpha.failure}` });
  for (const j of alpha.zeroVariance) warnings.push({ code: 'ZERO_VARIANCE', message: `item ${itemNames[j]} has no variance and was left out, as psych::alpha does` });
  alpha.items.forEach((it, j) => {
    if (it.rDrop < 0) warnings.push({ code: 'NEGATIVE_ITEM_REST', message: `item ${itemNames[j]} correlates negatively with the rest of the scale (r_drop = ${it.rDrop.toFixed(2)}): is a reverse key missing or wrong?` });
  });
  if (alpha.raw < 0.5) warnings.push({ code: 'LOW_ALPHA', message: `alpha is ${alpha.raw.toFixed(2)}, below 0.5` });
  if (alpha.n < 30) warnings.push({ code: 'SMALL_N', message: `only ${alpha.n} rows: coefficients and intervals are imprecise` });
  if (omega.fit?.heywood) warnings.push({ code: 'HEYWOOD', message: 'Heywood case in the one-factor model (a residual variance ≤ 0): omega is not trustworthy' });
  if (omega.reason) warnings.push({ code: 'OMEGA_UNAVAILABLE', message: `omega not computed: ${omega.reason}` });
  return warnings;
}

/** A scale from one-pass moments (no bootstrap: that needs the rows). */
export function analyseMoments(mo: ItemMoments, itemNames: readonly string[]): ScaleReliability {
  const alpha = alphaFromMoments(mo);
  const omega = omegaFromCovariance(mo.complete, mo.means.length);
  return { alpha, omega, warnings: reliabilityWarnings(alpha, omega, itemNames) };
}

/** The complete analysis of one scale held in memory. `itemNames` label items in warnings. */
export function analyseScale(m: ItemMatrix, itemNames: readonly string[], opts: { missing: MissingMode; boot?: number; seed?: number }): ScaleReliability {
  const data = opts.missing === 'listwise' ? selectRows(m, completeRows(m)) : m;
  const alpha = cronbachAlpha(data);
  const omega = omegaTotal(data);
  const warnings = reliabilityWarnings(alpha, omega, itemNames);
  const result: ScaleReliability = { alpha, omega, warnings };
  if (opts.boot !== undefined && opts.boot > 0) {
    const boot = bootstrapIntervals(data, opts.boot, opts.seed ?? 1);
    if (boot.failedAlpha + boot.failedOmega > 0) {
      warnings.push({ code: 'BOOTSTRAP_FAILURES', message: `${boot.failedAlpha} alpha and ${boot.failedOmega} omega resamples could not be computed and were left out` });
    }
    result.bootstrap = boot;
  }
  return result;
}
