/**
 * Percentile bootstrap of alpha and omega (2.5 %, 97.5 %, R type 7). Resample b draws its rows from
 * its own generator, seeded from (seed, b), so a given --seed gives the same intervals on any machine
 * and however the resamples were split. (Worker threads were tried, and measured slower on a
 * 2-core machine.)
 */
import { rawAlpha } from '../stats/alpha.js';
import type { ItemMatrix } from '../stats/item-matrix.js';
import { columnMeans, type ItemMoments, MomentAccumulator, weightedMoments } from '../stats/moments.js';
import { WasmMoments } from '../stats/wasm-moments.js';
import { quantile7 } from '../stats/quantile.js';
import { seededRng } from '../stats/random.js';
import { omegaFromCovariance } from './omega-total.js';

export interface BootstrapResult {
  resamples: number;
  seed: number;
  /** What was resampled: rows, or clients (all their rows) when rows are nested in clients. */
  unit: 'rows' | 'clients';
  alpha: [number, number];
  omega: [number, number];
  /** Resamples in which a coefficient could not be computed (left out of the interval). */
  failedAlpha: number;
  failedOmega: number;
}

/** The seed of resample b: a SplitMix32-style mix of the run's seed and b. */
export function resampleSeed(seed: number, b: number): number {
  let z = (seed ^ Math.imul(b + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0 || 1;
}

/**
 * Alpha and omega of resamples [from, to); NaN where a coefficient cannot be computed. A resample
 * is held as how often each row was drawn; the omega fit starts from the whole sample's. With
 * `clusters` (each row's client, 0 … J−1), a resample draws J clients with replacement and takes
 * all the rows of each client drawn (the cluster bootstrap, Davison & Hinkley, 1997, §3.8).
 */
export function resampleRange(m: ItemMatrix, seed: number, from: number, to: number, clusters?: Int32Array): { alphas: Float64Array; omegas: Float64Array } {
  const alphas = new Float64Array(to - from);
  const omegas = new Float64Array(to - from);
  const counts = new Int32Array(m.rows);
  const shift = columnMeans(m);
  const whole = omegaFromCovariance(weightedMoments(m, counts.fill(1), shift, false).complete, m.cols).fit;
  const start = whole?.converged ? { lambda: whole.loadings, theta: whole.uniquenesses } : undefined;
  const weighted = weightedPass(m, shift);
  const J = clusters ? clusters.reduce((mx, c) => Math.max(mx, c + 1), 0) : 0;
  const drawn = new Int32Array(J);
  for (let b = from; b < to; b++) {
    const rng = seededRng(resampleSeed(seed, b));
    if (clusters) {
      drawn.fill(0);
      for (let i = 0; i < J; i++) drawn[rng.index(J)]!++;
      for (let i = 0; i < m.rows; i++) counts[i] = drawn[clusters[i]!]!;
    } else {
      counts.fill(0);
      for (let i = 0; i < m.rows; i++) counts[rng.index(m.rows)]!++;
    }
    const moments = weighted ? weighted(counts) : weightedMoments(m, counts, shift, false);
    alphas[b - from] = rawAlpha(moments.pairwise.cov);
    omegas[b - from] = omegaFromCovariance(moments.complete, m.cols, start).omega;
  }
  return { alphas, omegas };
}

/**
 * A resample's moments through the WebAssembly kernel (src/stats/wasm-moments.ts): the matrix is
 * put in the kernel's memory once, and each resample's counts weight its rows, with the same sums,
 * bit for bit, as weightedMoments (MomentAccumulator.addWeighted). Undefined without WebAssembly.
 */
function weightedPass(m: ItemMatrix, shift: Float64Array): ((counts: Int32Array) => ItemMoments) | undefined {
  const kernel = WasmMoments.create();
  if (!kernel || m.rows === 0) return undefined;
  const table = kernel.table(Array.from({ length: m.cols }, (_, j) => j), shift, false, true);
  kernel.ensureGroup(table, 0);
  const [rows] = kernel.rowBuffers(m.rows, [m.cols]);
  rows!.values.set(m.values.subarray(0, m.rows * m.cols));
  return (counts) => {
    rows!.weights.set(counts);
    kernel.add(table, rows!, m.cols, m.rows, false);
    const acc = new MomentAccumulator(m.cols, shift, false);
    const sums = kernel.take(table, 0);
    if (sums) acc.addSums(sums);
    return acc.finish();
  };
}

function summarise(resamples: number, seed: number, unit: BootstrapResult['unit'], alphas: Float64Array, omegas: Float64Array): BootstrapResult {
  const finite = (xs: Float64Array) => Float64Array.from(xs.filter((x) => Number.isFinite(x))).sort();
  const a = finite(alphas);
  const o = finite(omegas);
  return {
    resamples,
    seed,
    unit,
    alpha: [quantile7(a, 0.025), quantile7(a, 0.975)],
    omega: [quantile7(o, 0.025), quantile7(o, 0.975)],
    failedAlpha: resamples - a.length,
    failedOmega: resamples - o.length,
  };
}

/** In this thread; `clusters` as for resampleRange (rows are resampled without it). */
export function bootstrapIntervals(m: ItemMatrix, resamples: number, seed: number, clusters?: Int32Array): BootstrapResult {
  const { alphas, omegas } = resampleRange(m, seed, 0, resamples, clusters);
  return summarise(resamples, seed, clusters ? 'clients' : 'rows', alphas, omegas);
}
