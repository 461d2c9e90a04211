/**
 * Reliability of one scale from its item matrix (items already reverse-keyed, rows with at least
 * one answer): psych-compatible alpha and item statistics, omega total from a one-factor ML model
 * on the complete cases, optional bootstrap intervals, and the warnings a researcher should see.
 * Pure.
 */
import { type AlphaResult, alphaFromMoments, cronbachAlpha } from '../stats/alpha.js';
import type { BootstrapResult } from './bootstrap.js';
import { omegaFromCovariance, type OmegaResult, omegaTotal } from './omega-total.js';
import type { ItemMoments } from '../stats/moments.js';
import { completeRows, type ItemMatrix, selectRows } from '../stats/item-matrix.js';
import type { MultilevelReliability, MultilevelWarning } from './multilevel.js';

export type MissingMode = 'pairwise' | 'listwise';

export interface ReliabilityWarning {
  code: 'NEGATIVE_ITEM_REST' | 'ZERO_VARIANCE' | 'LOW_ALPHA' | 'SMALL_N' | 'HEYWOOD' | 'OMEGA_UNAVAILABLE' | 'ALPHA_UNAVAILABLE' | 'BOOTSTRAP_FAILURES' | MultilevelWarning['code'];
  message: string;
}

export type { BootstrapResult } from './bootstrap.js';
export type { OmegaResult } from './omega-total.js';
export { omegaFromCovariance, omegaTotal } from './omega-total.js';

export interface ScaleReliability {
  alpha: AlphaResult;
  omega: OmegaResult;
  bootstrap?: BootstrapResult;
  /** Within- and between-client coefficients, when a client column was read. */
  multilevel?: MultilevelReliability;
  warnings: ReliabilityWarning[];
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

/**
 * The complete analysis of one scale held in memory. `itemNames` label items in warnings;
 * `clusters` (each row's client, 0 … J−1) makes the bootstrap resample clients.
 */
export async function analyseScale(m: ItemMatrix, itemNames: readonly string[], opts: { missing: MissingMode; boot?: number; seed?: number; clusters?: Int32Array }): Promise<ScaleReliability> {
  const keep = opts.missing === 'listwise' ? completeRows(m) : undefined;
  const data = keep ? selectRows(m, keep) : m;
  const clusters = opts.clusters && keep ? Int32Array.from(keep, (r) => opts.clusters![r]!) : opts.clusters;
  const alpha = cronbachAlpha(data);
  const omega = omegaTotal(data);
  const warnings = reliabilityWarnings(alpha, omega, itemNames);
  const result: ScaleReliability = { alpha, omega, warnings };
  if (opts.boot !== undefined && opts.boot > 0) {
    // Loaded here: the Mersenne Twister's bundle is needed only for --boot.
    const { bootstrapIntervals } = await import('./bootstrap.js');
    const boot = bootstrapIntervals(data, opts.boot, opts.seed ?? 1, clusters && renumber(clusters));
    if (boot.failedAlpha + boot.failedOmega > 0) {
      warnings.push({ code: 'BOOTSTRAP_FAILURES', message: `${boot.failedAlpha} alpha and ${boot.failedOmega} omega resamples could not be computed and were left out` });
    }
    result.bootstrap = boot;
  }
  return result;
}

/** Cluster labels renumbered 0 … J−1 in order of first appearance. */
function renumber(clusters: Int32Array): Int32Array {
  const ids = new Map<number, number>();
  return clusters.map((c) => {
    let id = ids.get(c);
    if (id === undefined) ids.set(c, (id = ids.size));
    return id;
  });
}
