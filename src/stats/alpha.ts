/**
 * Cronbach's alpha and its companions exactly as psych::alpha (psych 2.2.9, Revelle) computes
 * them from raw item data with `use = "pairwise"`. Pure. Names follow psych's output:
 *   raw_alpha = (1 − tr(C)/ΣC) · k/(k − 1)                      (Cronbach, 1951)
 *   std.alpha = (1 − k/ΣR) · k/(k − 1), R = cov2cor(C)
 *   G6(smc)   = 1 − (k − Σ smc(R)) / ΣR                        (Guttman, 1945)
 *   average_r = (ΣR − k) / (k(k − 1)); median_r over the lower triangle; S/N = k·r̄/(1 − r̄)
 *   ase       = sqrt(Q / n), Q from Duhachek & Iacobucci (2004) as psych writes it
 *   Feldt CI  = psych::alpha.ci: 1 − (1 − α)·F(p; n − 1, (n − 1)(k − 1))  (Feldt et al., 1987)
 * Items with no variance are dropped before anything is computed, as psych does (and warns).
 */
import { fQuantile } from './distributions.js';
import { cov2cor } from './covariance.js';
import { type ItemMoments, matrixMoments } from './moments.js';
import { type ItemMatrix, selectColumns } from './item-matrix.js';
import { dropIndex, type Mat, matmul, median, smc, sumAll, trace } from './matrix.js';

/** psych's `alpha.1`: the coefficients of one covariance/correlation pair. */
export interface AlphaCore {
  raw: number;
  std: number;
  g6: number;
  averageR: number;
  medianR: number;
  sn: number;
  /** Duhachek's Q; ase = sqrt(Q / n). */
  q: number;
}

/** Raw and standardised alpha alone: all that "alpha if item deleted" needs (no smc, no Q). */
export function alphaRawStd(c: Mat, r: Mat): { raw: number; std: number } {
  const k = c.length;
  return { raw: (1 - trace(c) / sumAll(c)) * (k / (k - 1)), std: (1 - k / sumAll(r)) * (k / (k - 1)) };
}

/** `smcR`: smc(r), when the caller has it already (it costs a pseudo-inverse). */
export function alphaCore(c: Mat, r: Mat, smcR: readonly number[] = smc(r)): AlphaCore {
  const k = c.length;
  const sumC = sumAll(c);
  const sumR = sumAll(r);
  const { raw, std } = alphaRawStd(c, r);
  const g6 = 1 - (k - smcR.reduce((a, b) => a + b, 0)) / sumR;
  const averageR = (sumR - k) / (k * (k - 1));
  const lower: number[] = [];
  for (let i = 0; i < k; i++) for (let j = 0; j < i; j++) lower.push(r[i]![j]!);
  const cc = matmul(c, c);
  const q = ((2 * k * k) / ((k - 1) ** 2 * sumC ** 3)) * (sumC * (trace(cc) + trace(c) ** 2) - 2 * (trace(c) * sumAll(cc)));
  return { raw, std, g6, averageR, medianR: median(lower), sn: (k * averageR) / (1 - averageR), q };
}

/** Feldt's interval for alpha as psych::alpha.ci (two-sided, p = .05) with n rows and k items. */
export function feldtInterval(alpha: number, n: number, k: number, p = 0.05): [number, number] {
  const df1 = n - 1;
  const df2 = (n - 1) * (k - 1);
  return [1 - (1 - alpha) * fQuantile(1 - p / 2, df1, df2), 1 - (1 - alpha) * fQuantile(p / 2, df1, df2)];
}

export interface ItemStatistics {
  /** Rows with this item answered. */
  n: number;
  mean: number;
  sd: number;
  /** Correlation of the item with the row mean of the answered items (psych raw.r). */
  rRaw: number;
  /** colSums(R)/sqrt(ΣR) (psych std.r). */
  rStd: number;
  /** Corrected for item overlap: as rStd with diag(R) = smc (psych r.cor). */
  rCor: number;
  /** Item–rest correlation from the covariances (psych r.drop). */
  rDrop: number;
  alphaIfDeleted: number;
  alphaStdIfDeleted: number;
  /** Share of rows with this item missing (psych response.freq "miss"). */
  missing: number;
  /** True when the item had no variance and was left out, as psych does. */
  dropped: boolean;
}

export interface AlphaResult extends AlphaCore {
  /** Rows analysed (psych's nsub: every row given, including partly answered ones). */
  n: number;
  /** Items used (after dropping items with no variance). */
  k: number;
  ase: number;
  feldt: [number, number];
  items: ItemStatistics[];
  /** Indices of items dropped for having no variance. */
  zeroVariance: number[];
  /** Set when alpha cannot be computed (fewer than 2 usable items, a pair never answered together). */
  failure?: string;
}

const NA = Number.NaN;

/** Raw alpha only, from a covariance matrix: what a bootstrap resample needs. */
export function rawAlpha(cov: Mat): number {
  if (cov.some((row) => row.some((v) => Number.isNaN(v)))) return NA;
  const k = cov.length;
  return (1 - trace(cov) / sumAll(cov)) * (k / (k - 1));
}

/**
 * psych::alpha(x) for raw data with missing values (NaN), use = "pairwise", no keys
 * (rapport reverse-keys items itself, with the instrument's bounds, before calling this).
 */
export function cronbachAlpha(m: ItemMatrix): AlphaResult {
  const result = alphaFromMoments(matrixMoments(m));
  if (result.zeroVariance.length > 0 && !result.failure) {
    // psych takes the row means over the items it kept: recompute raw.r without the dropped ones.
    const kept = Array.from({ length: m.cols }, (_, j) => j).filter((j) => !result.zeroVariance.includes(j));
    const rRaw = matrixMoments(selectColumns(m, kept)).rRaw;
    kept.forEach((j, i) => (result.items[j]!.rRaw = rRaw[i]!));
  }
  return result;
}

/**
 * The same, from one-pass moments (src/stats/moments.ts). When items have no variance, raw.r of the
 * others is over the row means of all items, not of the kept ones as psych has it: callers that
 * hold the rows (cronbachAlpha) correct it; streaming callers check `zeroVariance`.
 */
/**
 * The items psych keeps (those with variance) and their pairwise covariance matrix, or why alpha
 * cannot be computed: the first steps of alphaFromMoments and rawAlphaOf.
 */
function keptItems(mo: ItemMoments): { nItem: number[]; sdItem: number[]; zeroVariance: number[]; kept: number[]; c: number[][]; failure?: string } {
  const kAll = mo.means.length;
  const c0 = mo.pairwise.cov;
  const nItem = Array.from({ length: kAll }, (_, j) => mo.pairwise.counts[j]![j]!);
  const sdItem = Array.from({ length: kAll }, (_, j) => (nItem[j]! > 1 ? Math.sqrt(c0[j]![j]!) : NA));
  const zeroVariance = sdItem.flatMap((sd, j) => (!(sd > 0) ? [j] : []));
  const kept = sdItem.map((_, j) => j).filter((j) => !zeroVariance.includes(j));
  const base = { nItem, sdItem, zeroVariance, kept, c: [] as number[][] };
  if (kept.length < 2) return { ...base, failure: `fewer than 2 items with variance (${kept.length})` };
  if (kept.some((a) => kept.some((b) => mo.pairwise.counts[a]![b]! < 2))) return { ...base, failure: 'two items are answered together in fewer than 2 rows' };
  return { ...base, c: kept.map((a) => kept.map((b) => c0[a]![b]!)) };
}

/**
 * Raw alpha alone, the same number cronbachAlpha reports (items without variance dropped first),
 * or why there is none: for the RCI, which needs no interval or item statistics (and so neither
 * the F quantile's library nor a pseudo-inverse).
 */
export function rawAlphaOf(m: ItemMatrix): { raw: number; failure?: string } {
  const { c, failure } = keptItems(matrixMoments(m, undefined, false));
  return failure !== undefined ? { raw: NA, failure } : { raw: rawAlpha(c) };
}

export function alphaFromMoments(mo: ItemMoments): AlphaResult {
  const { nItem, sdItem, zeroVariance, kept, c, failure } = keptItems(mo);
  const emptyItem = (j: number): ItemStatistics => ({
    n: nItem[j]!, mean: mo.means[j]!, sd: sdItem[j]!, rRaw: NA, rStd: NA, rCor: NA, rDrop: NA,
    alphaIfDeleted: NA, alphaStdIfDeleted: NA, missing: 1 - nItem[j]! / mo.rows, dropped: zeroVariance.includes(j),
  });
  const fail = (failure: string): AlphaResult => ({
    raw: NA, std: NA, g6: NA, averageR: NA, medianR: NA, sn: NA, q: NA, n: mo.rows, k: kept.length, ase: NA,
    feldt: [NA, NA], items: nItem.map((_, j) => emptyItem(j)), zeroVariance, failure,
  });
  if (failure !== undefined) return fail(failure);
  const r = cov2cor(c);
  const k = kept.length;
  const smcR = smc(r);
  const total = alphaCore(c, r, smcR);

  // alpha if an item is deleted; psych special-cases k = 2.
  const drop = kept.map((_, i) => {
    // Only raw and std are reported per dropped item: computing G6 (a pseudo-inverse) and Q for each
    // took most of a run's fixed time (37 SVDs for a 36-item scale).
    if (k > 2) return alphaRawStd(dropIndex(c, i), dropIndex(r, i));
    const other = 1 - i;
    return { raw: c[0]![1]! / c[other]![other]!, std: r[0]![1]! };
  });

  // Item–total correlations (psych: item.r, item.rc, r.drop, raw.r).
  const sumR = sumAll(r);
  const rc = r.map((row, i) => row.map((v, j) => (i === j ? smcR[i]! : v)));
  const sumRC = sumAll(rc);
  const sumC = sumAll(c);
  const items = nItem.map((_, j) => emptyItem(j));
  kept.forEach((j, i) => {
    const colSumR = r[i]!.reduce((a, b) => a + b, 0);
    const colSumRC = rc[i]!.reduce((a, b) => a + b, 0);
    const colSumC = c[i]!.reduce((a, b) => a + b, 0);
    const vDrop = sumC - 2 * colSumC + c[i]![i]!;
    items[j] = {
      ...items[j]!,
      rRaw: mo.rRaw[j]!,
      rStd: colSumR / Math.sqrt(sumR),
      rCor: colSumRC / Math.sqrt(sumRC),
      rDrop: (colSumC - c[i]![i]!) / Math.sqrt(c[i]![i]! * vDrop),
      alphaIfDeleted: drop[i]!.raw,
      alphaStdIfDeleted: drop[i]!.std,
    };
  });
  return { ...total, n: mo.rows, k, ase: Math.sqrt(total.q / mo.rows), feldt: feldtInterval(total.raw, mo.rows, k), items, zeroVariance };
}
