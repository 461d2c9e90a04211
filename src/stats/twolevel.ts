/**
 * Two-level (rows within clients) covariance models fitted by maximum likelihood, as lavaan 0.6.14
 * fits `cfa(model, data, cluster = "client")`, and the within/between reliability coefficients
 * computed from them. Pure: the data come in as sufficient statistics (TwoLevelStats).
 *
 * Likelihood (lavaan's lav_mvnorm_cluster_loglik_samplestats_2l; complete rows, every item at both
 * levels), with V_j = Σ_W + n_j Σ_B:
 *   −2 log L = Σ_j [log|V_j| + n_j (ȳ_j − μ)′V_j⁻¹(ȳ_j − μ)] + (N − J)[log|Σ_W| + tr(Σ_W⁻¹ S_PW)] + const,
 * evaluated per distinct cluster size d as J_d [log|V_d| + n_d tr(V_d⁻¹ (C_d + (m_d − μ)(m_d − μ)′))],
 * where m_d and C_d are the mean and the N-divisor covariance of the cluster means of that size.
 * μ is profiled out (its GLS estimate given Σ_W, Σ_B); Σ_W and Σ_B are free (variances may go
 * negative, Σ_B need not be positive semi-definite, as with lavaan's default bounds = "none"), and
 * only Σ_W and every V_d must stay positive definite. Minimised by BFGS with the analytic gradient
 * ∂/∂V_d = J_d (V_d⁻¹ − n_d V_d⁻¹A_dV_d⁻¹), ∂/∂Σ_W = Σ_d ∂/∂V_d + (N − J)(Σ_W⁻¹ − Σ_W⁻¹S_PWΣ_W⁻¹),
 * ∂/∂Σ_B = Σ_d n_d ∂/∂V_d.
 *
 * Coefficients: Lai (2021), Psychological Methods 26(1), 90–102, eqs. 25 and 24 for α_W and α_B;
 * Geldhof, Preacher & Zyphur (2014), Psychological Methods 19(1), 72–91, as restated in Lai's eqs.
 * 8 and 7, for ω_W and ω_B of a one-factor model with its own loadings at each level.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { cholesky, choleskyInverse } from './matrix.js';
import { minimizeBfgs } from './optimize.js';

type M = number[][];

/** The sufficient statistics of complete rows nested in clusters. */
export interface TwoLevelStats {
  k: number;
  rows: number;
  clusters: number;
  /** S_PW: the pooled within-cluster covariance, divisor N − J. */
  withinCov: M;
  /** Clusters by size: how many, the mean of their means, the N-divisor covariance of their means. */
  sizes: Array<{ size: number; count: number; mean: number[]; cov: M }>;
  /** ñ = J / Σ_j 1/n_j, the harmonic mean cluster size. */
  harmonicSize: number;
}

/**
 * TwoLevelStats from per-cluster sums: `sums` (J × k, row-major) and `counts` of each cluster's
 * complete rows, and `cross` = Σ y y′ over all those rows (k × k, row-major); every value may be
 * shifted by `shift` (per item), which the covariances do not see and the means get back.
 */
export function twoLevelStats(k: number, sums: Float64Array, counts: ArrayLike<number>, cross: Float64Array, shift: ArrayLike<number>): TwoLevelStats {
  const J = counts.length;
  let N = 0;
  let inverseSizes = 0;
  const bySize = new Map<number, number[]>();
  for (let j = 0; j < J; j++) {
    const n = counts[j]!;
    N += n;
    inverseSizes += 1 / n;
    let list = bySize.get(n);
    if (!list) bySize.set(n, (list = []));
    list.push(j);
  }
  // Σ_j s_j s_j′ / n_j (lower triangle), the between-cluster cross-products.
  const between = new Float64Array(k * k);
  addOuterProducts(between, k, sums, counts, J);
  const withinCov: M = Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => {
    const [i, l] = a >= b ? [a, b] : [b, a];
    return (cross[i * k + l]! - between[i * k + l]!) / (N - J);
  }));
  const acc = new Float64Array(k * k);
  const sizes = [...bySize.entries()].sort((x, y) => x[0] - y[0]).map(([size, members]) => {
    const count = members.length;
    const mean = new Float64Array(k);
    for (const j of members) for (let a = 0; a < k; a++) mean[a]! += sums[j * k + a]! / size / count;
    // The cluster means of this size, centred (two passes, for accuracy), and their cross-products.
    const centred = new Float64Array(count * k);
    members.forEach((j, i) => {
      for (let a = 0; a < k; a++) centred[i * k + a] = sums[j * k + a]! / size - mean[a]!;
    });
    acc.fill(0);
    addOuterProducts(acc, k, centred, new Int32Array(count).fill(1), count);
    const cov: M = Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => (b <= a ? acc[a * k + b]! : acc[b * k + a]!) / count));
    return { size, count, mean: Array.from(mean, (m, a) => m + shift[a]!), cov };
  });
  return { k, rows: N, clusters: J, withinCov, sizes, harmonicSize: J / inverseSizes };
}

/**
 * acc += Σ_i (v_i / d_i) v_i′ over the first m rows v_i of `rows` (m × k, row-major), lower triangle
 * only: four rows at a time, so each entry of acc is loaded and stored once per four.
 */
function addOuterProducts(acc: Float64Array, k: number, rows: Float64Array, divisors: ArrayLike<number>, m: number): void {
  let i = 0;
  for (; i + 3 < m; i += 4) {
    const r1 = i * k;
    const r2 = r1 + k;
    const r3 = r2 + k;
    const r4 = r3 + k;
    const d1 = divisors[i]!;
    const d2 = divisors[i + 1]!;
    const d3 = divisors[i + 2]!;
    const d4 = divisors[i + 3]!;
    for (let a = 0; a < k; a++) {
      const s1 = rows[r1 + a]! / d1;
      const s2 = rows[r2 + a]! / d2;
      const s3 = rows[r3 + a]! / d3;
      const s4 = rows[r4 + a]! / d4;
      const row = a * k;
      for (let b = 0; b <= a; b++) acc[row + b]! += s1 * rows[r1 + b]! + s2 * rows[r2 + b]! + (s3 * rows[r3 + b]! + s4 * rows[r4 + b]!);
    }
  }
  for (; i < m; i++) {
    const r = i * k;
    const d = divisors[i]!;
    for (let a = 0; a < k; a++) {
      const s = rows[r + a]! / d;
      const row = a * k;
      for (let b = 0; b <= a; b++) acc[row + b]! += s * rows[r + b]!;
    }
  }
}

const zeros = (k: number): M => Array.from({ length: k }, () => new Array<number>(k).fill(0));
function mul(a: M, b: M): M {
  const n = a.length;
  const m = b[0]!.length;
  const out: M = [];
  for (let i = 0; i < n; i++) {
    const ai = a[i]!;
    const row = new Array<number>(m).fill(0);
    for (let l = 0; l < ai.length; l++) {
      const v = ai[l]!;
      const bl = b[l]!;
      for (let j = 0; j < m; j++) row[j]! += v * bl[j]!;
    }
    out.push(row);
  }
  return out;
}
const logDet = (l: M): number => 2 * l.reduce((s, row, i) => s + Math.log(row[i]!), 0);
const traceOf = (a: M, b: M): number => a.reduce((s, row, i) => s + row.reduce((t, v, j) => t + v * b[j]![i]!, 0), 0);

/** Objective (−2 log L without its constant, divided by N) and its gradient with respect to Σ_W and Σ_B (as k × k matrices), μ profiled. */
function evaluate(stats: TwoLevelStats, sw: M, sb: M): { value: number; dW: M; dB: M; mu: number[] } | undefined {
  const { k, rows: N, clusters: J } = stats;
  const cw = cholesky(sw);
  if (!cw.positiveDefinite) return undefined;
  const swInv = choleskyInverse(cw.l);
  const parts: Array<{ inv: M; logDet: number }> = [];
  for (const d of stats.sizes) {
    const v = sw.map((row, a) => row.map((x, b) => x + d.size * sb[a]![b]!));
    const c = cholesky(v);
    if (!c.positiveDefinite) return undefined;
    parts.push({ inv: choleskyInverse(c.l), logDet: logDet(c.l) });
  }
  // μ = (Σ_d J_d n_d V_d⁻¹)⁻¹ Σ_d J_d n_d V_d⁻¹ m_d
  const info = zeros(k);
  const rhs = new Array<number>(k).fill(0);
  stats.sizes.forEach((d, i) => {
    const w = d.count * d.size;
    const inv = parts[i]!.inv;
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        info[a]![b]! += w * inv[a]![b]!;
        rhs[a]! += w * inv[a]![b]! * d.mean[b]!;
      }
    }
  });
  const ci = cholesky(info);
  if (!ci.positiveDefinite) return undefined;
  const infoInv = choleskyInverse(ci.l);
  const mu = infoInv.map((row) => row.reduce((s, v, b) => s + v * rhs[b]!, 0));
  let value = 0;
  const dW = zeros(k);
  const dB = zeros(k);
  stats.sizes.forEach((d, i) => {
    const { inv, logDet: ld } = parts[i]!;
    const e = d.mean.map((m, a) => m - mu[a]!);
    const A = d.cov.map((row, a) => row.map((x, b) => x + e[a]! * e[b]!));
    const invA = mul(inv, A);
    value += d.count * (ld + d.size * invA.reduce((s, row, a) => s + row[a]!, 0));
    const invAinv = mul(invA, inv);
    for (let a = 0; a < k; a++) {
      for (let b = 0; b < k; b++) {
        const g = d.count * (inv[a]![b]! - d.size * invAinv[a]![b]!);
        dW[a]![b]! += g;
        dB[a]![b]! += d.size * g;
      }
    }
  });
  if (N > J) {
    value += (N - J) * (logDet(cw.l) + traceOf(swInv, stats.withinCov));
    const sInvS = mul(mul(swInv, stats.withinCov), swInv);
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) dW[a]![b]! += (N - J) * (swInv[a]![b]! - sInvS[a]![b]!);
  }
  for (const m of [dW, dB]) for (const row of m) for (let b = 0; b < k; b++) row[b] = row[b]! / N;
  return { value: value / N, dW, dB, mu };
}

/** log L from the objective: −(N·objective + N·k·log 2π)/2, as lavaan reports it. */
function logLikelihood(stats: TwoLevelStats, value: number): number {
  const constant = stats.rows * stats.k * Math.log(2 * Math.PI);
  return -(value * stats.rows + constant) / 2;
}

/**
 * EM for the saturated model (the random-effects model y_ij = μ + b_j + e_ij; e.g. Raudenbush &
 * Bryk, 2002, ch. 14), per cluster size: with K_d = n_d Σ_B V_d⁻¹ and A_d = C_d + (m_d − μ)(m_d − μ)′,
 * the E-step gives Σ_j∈d b̂b̂′ = J_d K_d A_d K_d′ and Var(b | y) = Σ_B − K_d Σ_B; the M-step sets Σ_B,
 * Σ_W and μ to their complete-data estimates. It keeps Σ_B positive semi-definite, so it stays away
 * from the boundary where some V_d is singular, on which the likelihood is unbounded when a cluster
 * size has fewer clusters than items; BFGS starts from where it ends (a warm start, not the estimate).
 */
function emSaturated(stats: TwoLevelStats, sw0: M, sb0: M, mu0: number[]): { sw: M; sb: M } {
  const { k, rows: N, clusters: J } = stats;
  let sw = sw0.map((r) => [...r]);
  let sb = sb0.map((r) => [...r]);
  // Σ_B positive definite to begin with: its negative eigenvalues replaced by a small positive one.
  const eig = new EigenvalueDecomposition(new Matrix(sb), { assumeSymmetric: true });
  const floor = 1e-3 * Math.max(...sw.map((r, a) => r[a]!));
  const vals = eig.realEigenvalues.map((v) => Math.max(v, floor));
  const vec = eig.eigenvectorMatrix;
  sb = Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => vals.reduce((t, v, i) => t + v * vec.get(a, i) * vec.get(b, i), 0)));
  let mu = [...mu0];
  let last = Number.POSITIVE_INFINITY;
  for (let iter = 0; iter < 50; iter++) {
    const nsb = zeros(k);
    const nsw = stats.withinCov.map((r) => r.map((x) => x * (N - J)));
    const muNum = new Array<number>(k).fill(0);
    let value = 0;
    for (const d of stats.sizes) {
      const v = sw.map((row, a) => row.map((x, b) => x + d.size * sb[a]![b]!));
      const c = cholesky(v);
      if (!c.positiveDefinite) return { sw: sw0, sb: sb0 };
      const vInv = choleskyInverse(c.l);
      const K = mul(sb, vInv).map((row) => row.map((x) => d.size * x));
      const e = d.mean.map((m, a) => m - mu[a]!);
      const A = d.cov.map((row, a) => row.map((x, b) => x + e[a]! * e[b]!));
      value += d.count * (logDet(c.l) + d.size * traceOf(vInv, A));
      const IK = K.map((row, a) => row.map((x, b) => (a === b ? 1 : 0) - x));
      const KA = mul(K, A);
      const bb = mul(KA, K.map((_, a) => K.map((r) => r[a]!)));
      const IKA = mul(IK, A);
      const rr = mul(IKA, IK.map((_, a) => IK.map((r) => r[a]!)));
      const post = mul(K, sb).map((row, a) => row.map((x, b) => sb[a]![b]! - x));
      for (let a = 0; a < k; a++) {
        for (let b = 0; b < k; b++) {
          nsb[a]![b]! += d.count * (bb[a]![b]! + post[a]![b]!);
          nsw[a]![b]! += d.count * d.size * (rr[a]![b]! + post[a]![b]!);
        }
        // Σ_j n_j (ȳ_j − b̂_j), b̂_j = K_d (ȳ_j − μ)
        muNum[a]! += d.count * d.size * (d.mean[a]! - K[a]!.reduce((t, x, b) => t + x * e[b]!, 0));
      }
    }
    if (N > J) {
      const cw = cholesky(sw);
      if (!cw.positiveDefinite) return { sw: sw0, sb: sb0 };
      value += (N - J) * (logDet(cw.l) + traceOf(choleskyInverse(cw.l), stats.withinCov));
    }
    sb = nsb.map((row) => row.map((x) => x / J));
    sw = nsw.map((row) => row.map((x) => x / N));
    mu = muNum.map((x) => x / N);
    if (last - value < 1e-7 * Math.abs(value)) break;
    last = value;
  }
  return { sw, sb };
}

/**
 * The expected Hessian (Fisher information, over N) of the objective in vech(Σ_W), vech(Σ_B):
 * Σ_d J_d tr(V_d⁻¹ ∂V_d V_d⁻¹ ∂V_d) + (N − J) tr(Σ_W⁻¹ ∂Σ_W Σ_W⁻¹ ∂Σ_W), with ∂V_d = ∂Σ_W + n_d ∂Σ_B.
 */
export function saturatedInformation(stats: TwoLevelStats, idx: Array<[number, number]>, sw: M, sb: M): Float64Array | undefined {
  const p = idx.length;
  const n = 2 * p;
  const { rows: N, clusters: J } = stats;
  const H = new Float64Array(n * n);
  const ia = Int32Array.from(idx, ([a]) => a);
  const ib = Int32Array.from(idx, ([, b]) => b);
  const add = (P: M, wWW: number, wWB: number, wBB: number) => {
    const k = P.length;
    const flat = new Float64Array(k * k);
    P.forEach((row, a) => row.forEach((v, b) => (flat[a * k + b] = v)));
    for (let i = 0; i < p; i++) {
      const a = ia[i]! * k;
      const b = ib[i]! * k;
      const fi = ia[i] === ib[i] ? 0.5 : 1;
      const rowWW = i * n;
      const rowBW = (p + i) * n;
      for (let j = 0; j <= i; j++) {
        const c = ia[j]!;
        const d = ib[j]!;
        const t = fi * (c === d ? 1 : 2) * (flat[a + c]! * flat[b + d]! + flat[a + d]! * flat[b + c]!);
        H[rowWW + j]! += wWW * t;
        H[rowBW + j]! += wWB * t;
        if (j < i) H[(p + j) * n + i]! += wWB * t;
        H[rowBW + p + j]! += wBB * t;
      }
    }
  };
  for (const d of stats.sizes) {
    const c = cholesky(sw.map((row, a) => row.map((v, b) => v + d.size * sb[a]![b]!)));
    if (!c.positiveDefinite) return undefined;
    add(choleskyInverse(c.l), d.count / N, (d.count * d.size) / N, (d.count * d.size * d.size) / N);
  }
  if (N > J) {
    const c = cholesky(sw);
    if (!c.positiveDefinite) return undefined;
    add(choleskyInverse(c.l), (N - J) / N, 0, 0);
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) H[j * n + i] = H[i * n + j]!;
  return H;
}

/** The lower Cholesky factor of a symmetric n × n matrix (row-major), or undefined when it is not positive definite. */
function flatCholesky(A: Float64Array, n: number): Float64Array | undefined {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      // Σ_m<j L_im L_jm, four at a time (independent sums the processor can overlap).
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let m = 0;
      for (; m + 3 < j; m += 4) {
        s0 += L[ri + m]! * L[rj + m]!;
        s1 += L[ri + m + 1]! * L[rj + m + 1]!;
        s2 += L[ri + m + 2]! * L[rj + m + 2]!;
        s3 += L[ri + m + 3]! * L[rj + m + 3]!;
      }
      for (; m < j; m++) s0 += L[ri + m]! * L[rj + m]!;
      const s = A[ri + j]! - (s0 + s1 + (s2 + s3));
      if (i === j) {
        if (!(s > 0)) return undefined;
        L[ri + i] = Math.sqrt(s);
      } else L[ri + j] = s / L[rj + j]!;
    }
  }
  return L;
}

/** x with L L′ x = b (L from flatCholesky). */
function flatSolve(L: Float64Array, n: number, b: readonly number[]): number[] {
  const y = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let m = 0; m < i; m++) s -= L[i * n + m]! * y[m]!;
    y[i] = s / L[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let m = i + 1; m < n; m++) s -= L[m * n + i]! * y[m]!;
    y[i] = s / L[i * n + i]!;
  }
  return y;
}

/** (L L′)⁻¹ (L from flatCholesky): L⁻¹ a column at a time by forward substitution, then L⁻ᵀL⁻¹ a row of L⁻¹ at a time. */
function flatInverse(L: Float64Array, n: number): M {
  const inv = new Float64Array(n * n); // L⁻¹, lower, row-major
  const x = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    x.fill(0, 0, j);
    for (let i = j; i < n; i++) {
      let s = i === j ? 1 : 0;
      const ri = i * n;
      for (let m = j; m < i; m++) s -= L[ri + m]! * x[m]!;
      x[i] = s / L[ri + i]!;
      inv[ri + j] = x[i]!;
    }
  }
  const acc = new Float64Array(n * n);
  for (let m = 0; m < n; m++) {
    const row = m * n;
    for (let i = 0; i <= m; i++) {
      const v = inv[row + i]!;
      if (v === 0) continue;
      const out = i * n;
      for (let j = 0; j <= i; j++) acc[out + j]! += v * inv[row + j]!;
    }
  }
  const out: M = Array.from({ length: n }, () => new Array<number>(n));
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) out[i]![j] = out[j]![i] = acc[i * n + j]!;
  return out;
}

/** Solves with the expected information frozen at one point: H⁻¹g, and H⁻¹ itself (BFGS's start). */
export interface InformationSolver {
  /** H⁻¹g, or undefined when it cannot be had (the information is not numerically positive definite). */
  solve(g: readonly number[]): number[] | undefined;
  inverse(): M | undefined;
}

/** A solver from the information as a dense matrix: its Cholesky factor. */
export function denseSolver(info: M | Float64Array, n: number): InformationSolver | undefined {
  const L = flatCholesky(info instanceof Float64Array ? info : Float64Array.from(info.flat()), n);
  if (!L) return undefined;
  return { solve: (g) => flatSolve(L, n, g), inverse: () => flatInverse(L, n) };
}

/**
 * Up to this many parameters (k ≤ 24 items) the saturated model's information is formed and
 * factored (at most ~7·10⁷ operations, direct, for any conditioning); beyond, CG on the operator.
 */
const DENSE_PARAMETERS = 600;

function denseInformation(stats: TwoLevelStats, idx: Array<[number, number]>, sw: M, sb: M): InformationSolver | undefined {
  const info = saturatedInformation(stats, idx, sw, sb);
  return info && denseSolver(info, 2 * idx.length);
}

/** a b for k × k row-major matrices, into `out`. */
function mulInto(a: Float64Array, b: Float64Array, k: number, out: Float64Array): Float64Array {
  out.fill(0);
  for (let i = 0; i < k; i++) {
    const ri = i * k;
    for (let m = 0; m < k; m++) {
      const v = a[ri + m]!;
      if (v === 0) continue;
      const rm = m * k;
      for (let j = 0; j < k; j++) out[ri + j]! += v * b[rm + j]!;
    }
  }
  return out;
}

const flatOf = (m: M): Float64Array => Float64Array.from(m.flat());

/**
 * The saturated model's expected information as an operator, never formed: on a pair of symmetric
 * matrices (X_W, X_B) it gives Σ_d (J_d/N) V_d⁻¹U_dV_d⁻¹ · (1, n_d) + ((N − J)/N) Σ_W⁻¹X_WΣ_W⁻¹ · (1, 0),
 * U_d = X_W + n_d X_B: the derivative of the gradient (∂/∂Σ_W, ∂/∂Σ_B) along (X_W, X_B), O(k³) per
 * cluster size where the matrix has (k(k+1))² entries and its factor costs (k(k+1))³/3. H⁻¹g comes
 * from conjugate gradients, preconditioned by the exact inverse of the information of a design with
 * one cluster size n̄ = Σ J_d n_d² / Σ J_d n_d (the same operator with every V_d = V̄, which is exact
 * when every cluster has the same size): with a, b, c = Σ_d J_d (1, n_d, n_d²)/N, α = (N − J)/N and
 * β = a − b²/c, X_W solves α Σ_W⁻¹X_WΣ_W⁻¹ + β V̄⁻¹X_WV̄⁻¹ = G_W − (b/c)G_B, which in the basis T
 * that makes T′Σ_W⁻¹T = I and T′V̄⁻¹T = Λ is Y_ij = (T′RT)_ij / (α + βλ_iλ_j), X_W = TYT′; and
 * X_B = (V̄G_BV̄ − bX_W)/c (Shewchuk, 1994, "An introduction to the conjugate gradient method without
 * the agonizing pain", §12, for preconditioned CG).
 */
export function saturatedSolver(stats: TwoLevelStats, idx: Array<[number, number]>, sw: M, sb: M): InformationSolver | undefined {
  const { k, rows: N, clusters: J } = stats;
  const kk = k * k;
  const parts: Array<{ inv: Float64Array; wW: number; wB: number; size: number }> = [];
  let a = 0;
  let b = 0;
  let c = 0;
  for (const d of stats.sizes) {
    const ch = cholesky(sw.map((row, x) => row.map((v, y) => v + d.size * sb[x]![y]!)));
    if (!ch.positiveDefinite) return undefined;
    const w = d.count / N;
    parts.push({ inv: flatOf(choleskyInverse(ch.l)), wW: w, wB: w * d.size, size: d.size });
    a += w;
    b += w * d.size;
    c += w * d.size * d.size;
  }
  const swChol = cholesky(sw);
  if (!swChol.positiveDefinite) return undefined;
  const alpha = (N - J) / N;
  if (alpha > 0) parts.push({ inv: flatOf(choleskyInverse(swChol.l)), wW: alpha, wB: 0, size: 0 });
  const beta = Math.max(0, a - (b * b) / c);
  const nBar = c / b;
  const vBar = sw.map((row, x) => row.map((v, y) => v + nBar * sb[x]![y]!));
  const vBarChol = cholesky(vBar);
  if (!vBarChol.positiveDefinite) return undefined;
  // T = C Q with Σ_W = CC′ and C′V̄⁻¹C = QΛQ′.
  const C = new Matrix(swChol.l);
  const mInner = C.transpose().mmul(new Matrix(choleskyInverse(vBarChol.l))).mmul(C);
  const eig = new EigenvalueDecomposition(mInner.add(mInner.transpose()).div(2), { assumeSymmetric: true });
  const lambda = eig.realEigenvalues;
  const T = flatOf(C.mmul(eig.eigenvectorMatrix).to2DArray());
  const Tt = new Float64Array(kk);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) Tt[j * k + i] = T[i * k + j]!;
  const denominators = new Float64Array(kk);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) denominators[i * k + j] = alpha + beta * lambda[i]! * lambda[j]!;
  if (!denominators.every((v) => v > 0)) return undefined;
  const vBarFlat = flatOf(vBar);
  const t1 = new Float64Array(kk);
  const t2 = new Float64Array(kk);
  const u = new Float64Array(kk);

  /** The operator on (X_W, X_B), stacked in one vector of 2k² entries. */
  const apply = (x: Float64Array): Float64Array => {
    const out = new Float64Array(2 * kk);
    for (const part of parts) {
      for (let i = 0; i < kk; i++) u[i] = x[i]! + part.size * x[kk + i]!;
      mulInto(part.inv, u, k, t1);
      mulInto(t1, part.inv, k, t2);
      for (let i = 0; i < kk; i++) {
        out[i]! += part.wW * t2[i]!;
        out[kk + i]! += part.wB * t2[i]!;
      }
    }
    return out;
  };
  /** The one-size inverse (the preconditioner). */
  const precondition = (g: Float64Array): Float64Array => {
    const out = new Float64Array(2 * kk);
    for (let i = 0; i < kk; i++) u[i] = g[i]! - (b / c) * g[kk + i]!;
    mulInto(mulInto(Tt, u, k, t1), T, k, t2);
    for (let i = 0; i < kk; i++) t2[i] = t2[i]! / denominators[i]!;
    mulInto(mulInto(T, t2, k, t1), Tt, k, u);
    for (let i = 0; i < kk; i++) out[i] = u[i]!;
    for (let i = 0; i < kk; i++) t2[i] = g[kk + i]!;
    mulInto(mulInto(vBarFlat, t2, k, t1), vBarFlat, k, u);
    for (let i = 0; i < kk; i++) out[kk + i] = (u[i]! - b * out[i]!) / c;
    return out;
  };
  const dot = (x: Float64Array, y: Float64Array): number => {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
    return s;
  };
  const p = idx.length;
  const solve = (g: readonly number[]): number[] | undefined => {
    // The gradient is taken in vech with off-diagonal entries counted twice; as a matrix, G_ab = g/2 there.
    const rhs = new Float64Array(2 * kk);
    idx.forEach(([r, s2], i) => {
      for (let level = 0; level < 2; level++) {
        const v = r === s2 ? g[level * p + i]! : g[level * p + i]! / 2;
        rhs[level * kk + r * k + s2] = v;
        rhs[level * kk + s2 * k + r] = v;
      }
    });
    const x = new Float64Array(2 * kk);
    const r = rhs.slice();
    let z = precondition(r);
    let dir = z.slice();
    let rz = dot(r, z);
    const stop = 1e-26 * dot(rhs, rhs);
    let it = 0;
    for (; it < 200 && dot(r, r) > stop; it++) {
      const q = apply(dir);
      const step = rz / dot(dir, q);
      if (!Number.isFinite(step)) break;
      for (let i = 0; i < x.length; i++) {
        x[i]! += step * dir[i]!;
        r[i]! -= step * q[i]!;
      }
      z = precondition(r);
      const next = dot(r, z);
      const scale = next / rz;
      rz = next;
      for (let i = 0; i < dir.length; i++) dir[i] = z[i]! + scale * dir[i]!;
    }
    // Where the information is too ill-conditioned for CG to get the residual down (few clients
    // of many sizes), the step comes from the information formed and factored.
    if (!(dot(r, r) <= 1e-20 * dot(rhs, rhs))) return dense()?.solve(g);
    const out = new Array<number>(2 * p);
    idx.forEach(([r2, s2], i) => {
      out[i] = x[r2 * k + s2]!;
      out[p + i] = x[kk + r2 * k + s2]!;
    });
    return out;
  };
  // The information formed and factored, once, only when needed: BFGS's start when scoring stops
  // short, and the steps CG cannot make.
  let factored: InformationSolver | undefined | null = null;
  const dense = (): InformationSolver | undefined => {
    if (factored === null) {
      const info = saturatedInformation(stats, idx, sw, sb);
      factored = info && denseSolver(info, 2 * p);
    }
    return factored;
  };
  return { solve, inverse: () => dense()?.inverse() };
}

/**
 * Fisher scoring for the saturated model: θ ← θ − H⁻¹g, with H the expected Hessian of the
 * objective, Σ_d J_d tr(V_d⁻¹ ∂V_d V_d⁻¹ ∂V_d) + (N − J) tr(Σ_W⁻¹ ∂Σ_W Σ_W⁻¹ ∂Σ_W) (over N), steps
 * halved until the objective decreases. The expected Hessian does not see the unbounded boundary
 * (a V_d singular where few clusters share a size), which draws quasi-Newton steps that learn the
 * observed curvature; scoring goes to the stationary point lavaan reports.
 */
function scoring(fg: (x: readonly number[]) => { value: number; gradient: number[] }, start: number[], information: (x: readonly number[]) => InformationSolver | undefined) {
  let x = start;
  let cur = fg(x);
  let iterations = 0;
  let evaluations = 1;
  let stalled = 0;
  const maxAbs = (g: number[]) => g.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  let factor: InformationSolver | undefined;
  // Until the largest gradient is below 1e-4; then on only while each step cuts it tenfold (scoring
  // converges fast where expected and observed information agree), to 1e-10 (no BFGS needed then).
  let last = Number.POSITIVE_INFINITY;
  for (;;) {
    const g = maxAbs(cur.gradient);
    if (iterations >= 60 || !Number.isFinite(cur.value) || g <= 1e-10) break;
    if (g <= 1e-4 && (iterations >= 30 || g > 0.5 * last)) break;
    // The information is factored again only while it pays: at the first step, and whenever the
    // last step did not cut the gradient tenfold (near the optimum it hardly changes, and factoring it
    // costs (k(k+1))³/3 operations).
    const refactor = factor === undefined || g > 0.1 * last;
    last = g;
    iterations++;
    if (refactor) {
      const solver = information(x);
      if (!solver) break;
      factor = solver;
    }
    const solved = factor!.solve(cur.gradient);
    if (!solved) break;
    const step = solved.map((v) => -v);
    let a = 1;
    let next: ReturnType<typeof fg> | undefined;
    let xn = x;
    for (let half = 0; half < 30; half++, a /= 2) {
      xn = x.map((v, i) => v + a * step[i]!);
      next = fg(xn);
      evaluations++;
      if (Number.isFinite(next.value) && next.value <= cur.value + 1e-15 * Math.abs(cur.value)) break;
      next = undefined;
    }
    if (!next) break;
    if (a < 1) stalled = 0;
    const progress = cur.value - next.value;
    x = xn;
    cur = next;
    if (progress <= 1e-15 * Math.abs(cur.value) && ++stalled >= 3) break;
  }
  const maxGradient = maxAbs(cur.gradient);
  return { x, value: cur.value, maxGradient, iterations, evaluations, inverseHessian: () => factor?.inverse() };
}

export interface SaturatedFit {
  sigmaWithin: M;
  sigmaBetween: M;
  mu: number[];
  logLikelihood: number;
  converged: boolean;
  iterations: number;
  maxGradient: number;
}

export const vechIndex = (k: number): Array<[number, number]> => {
  const out: Array<[number, number]> = [];
  for (let a = 0; a < k; a++) for (let b = 0; b <= a; b++) out.push([a, b]);
  return out;
};

/** The two-level saturated model: Σ_W, Σ_B (every variance and covariance free) and μ, by ML. */
export function fitSaturated(stats: TwoLevelStats): SaturatedFit {
  const { k } = stats;
  const idx = vechIndex(k);
  const p = idx.length;
  const unpack = (x: readonly number[], off: number): M => {
    const m = zeros(k);
    idx.forEach(([a, b], i) => {
      m[a]![b] = x[off + i]!;
      m[b]![a] = x[off + i]!;
    });
    return m;
  };
  // Start: S_PW within; between, the covariance of the cluster means less S_PW/ñ (the moment estimate), shrunk to its diagonal until every V_d is positive definite.
  const all = { mean: new Array<number>(k).fill(0), cov: zeros(k) };
  for (const d of stats.sizes) for (let a = 0; a < k; a++) all.mean[a]! += (d.count * d.mean[a]!) / stats.clusters;
  for (const d of stats.sizes) {
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) all.cov[a]![b]! += (d.count * (d.cov[a]![b]! + (d.mean[a]! - all.mean[a]!) * (d.mean[b]! - all.mean[b]!))) / stats.clusters;
  }
  let sb = all.cov.map((row, a) => row.map((x, b) => x - stats.withinCov[a]![b]! / stats.harmonicSize));
  for (let tries = 0; tries < 30 && !evaluate(stats, stats.withinCov, sb); tries++) sb = sb.map((row, a) => row.map((x, b) => (a === b ? Math.abs(x) + 1e-3 * stats.withinCov[a]![a]! : x / 2)));
  const warm = emSaturated(stats, stats.withinCov, sb, all.mean);
  const fg = (x: readonly number[]) => {
    const r = evaluate(stats, unpack(x, 0), unpack(x, p));
    if (!r) return { value: Number.POSITIVE_INFINITY, gradient: [] };
    const grad = (d: M) => idx.map(([a, b]) => (a === b ? d[a]![a]! : 2 * d[a]![b]!));
    return { value: r.value, gradient: [...grad(r.dW), ...grad(r.dB)] };
  };
  const scored = scoring(fg, [...idx.map(([a, b]) => warm.sw[a]![b]!), ...idx.map(([a, b]) => warm.sb[a]![b]!)], (x) => {
    const [sw, sb] = [unpack(x, 0), unpack(x, p)];
    // The operator's solver where it pays; the factored information otherwise, and where the operator's preconditioner cannot be made.
    return (2 * p > DENSE_PARAMETERS ? saturatedSolver(stats, idx, sw, sb) : undefined) ?? denseInformation(stats, idx, sw, sb);
  });
  // Then BFGS from there, starting from scoring's inverse Hessian: scoring converges linearly, BFGS superlinearly in the basin scoring found.
  const done = scored.maxGradient <= 1e-10;
  const h0 = done ? undefined : scored.inverseHessian();
  const fit = done
    ? { x: scored.x, value: scored.value, maxGradient: scored.maxGradient, iterations: scored.iterations, evaluations: scored.evaluations, converged: true }
    : minimizeBfgs(fg, scored.x, { gTol: 1e-11, maxStep: 0.02 * Math.max(...scored.x.map(Math.abs)), ...(h0 ? { inverseHessian: h0 } : {}) });
  if (!done) fit.iterations += scored.iterations;
  const sigmaWithin = unpack(fit.x, 0);
  const sigmaBetween = unpack(fit.x, p);
  const at = evaluate(stats, sigmaWithin, sigmaBetween)!;
  return { sigmaWithin, sigmaBetween, mu: at.mu, logLikelihood: logLikelihood(stats, at.value), converged: fit.converged, iterations: fit.iterations, maxGradient: fit.maxGradient };
}

/** One level of a one-factor model: Σ = ψ λ λ′ + diag(θ), λ₁ = 1 (lavaan's marker scaling). */
export interface FactorLevel {
  lambda: number[];
  theta: number[];
  psi: number;
}

export interface OneFactorFit {
  within: FactorLevel;
  between: FactorLevel;
  mu: number[];
  logLikelihood: number;
  converged: boolean;
  iterations: number;
  maxGradient: number;
}

/** A one-factor start for Σ: the leading eigenvector (λ₁ = 1), ψ from the leading eigenvalue, θ what is left of the diagonal (at least 10 % of it). */
function factorStart(sigma: M): FactorLevel {
  const k = sigma.length;
  const eig = new EigenvalueDecomposition(new Matrix(sigma), { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  let top = 0;
  for (let i = 1; i < k; i++) if (values[i]! > values[top]!) top = i;
  const v = eig.eigenvectorMatrix.getColumn(top);
  const first = Math.abs(v[0]!) > 1e-8 ? v[0]! : 1;
  const lambda = v.map((x) => x / first);
  const psi = Math.max(values[top]!, 1e-6) * first * first;
  const theta = lambda.map((l, i) => Math.max(sigma[i]![i]! - psi * l * l, 0.1 * Math.abs(sigma[i]![i]!) + 1e-6));
  return { lambda, theta, psi };
}

/**
 * The expected information (over N) of the one-factor parameters [λ_W2…λ_Wk, θ_W, ψ_W, λ_B2…, θ_B, ψ_B]:
 * Σ_d J_d tr(P ∂V_u P ∂V_v) + (N − J) tr(Q ∂Σ_W,u Q ∂Σ_W,v), P = V_d⁻¹, Q = Σ_W⁻¹, ∂V = ∂Σ_W or n_d ∂Σ_B,
 * in closed form: with a = Pλ, b = Pμ and s = λ′Pμ for the loadings λ, μ of the two parameters' levels,
 * λ_i × μ_j: ψψ′·2(a_j b_i + s P_ij); λ_i × θ_j: 2ψ P_ij a_j; λ_i × ψ′: 2ψ s b_i; θ_i × θ_j: P_ij²;
 * θ_i × ψ′: b_i²; ψ × ψ′: s². O(k²) per cluster size, where chaining the saturated information costs O(k⁴).
 */
function oneFactorInformation(stats: TwoLevelStats, w: FactorLevel, b: FactorLevel): M | undefined {
  const { k, rows: N, clusters: J } = stats;
  const size = 2 * k;
  const H: M = Array.from({ length: 2 * size }, () => new Array<number>(2 * size).fill(0));
  const implied = (f: FactorLevel): M => f.lambda.map((la, x) => f.lambda.map((lb, y) => f.psi * la * lb + (x === y ? f.theta[x]! : 0)));
  const sw = implied(w);
  const sb = implied(b);
  const levels = [w, b];
  const add = (P: M, weight: number, factors: readonly number[], both: boolean) => {
    const vec = levels.map((f) => P.map((row) => row.reduce((t, v, y) => t + v * f.lambda[y]!, 0)));
    for (let l1 = 0; l1 < (both ? 2 : 1); l1++) {
      for (let l2 = 0; l2 <= l1; l2++) {
        const [f1, f2] = [levels[l1]!, levels[l2]!];
        const [a, bv] = [vec[l1]!, vec[l2]!];
        const s = f1.lambda.reduce((t, v, y) => t + v * bv[y]!, 0);
        const wgt = weight * factors[l1]! * factors[l2]!;
        const o1 = l1 * size;
        const o2 = l2 * size;
        // Parameter u of level 1 (index within the level) against parameter v of level 2.
        const term = (u: number, v: number): number => {
          const lam1 = u < k - 1;
          const th1 = !lam1 && u < size - 1;
          const lam2 = v < k - 1;
          const th2 = !lam2 && v < size - 1;
          const i = lam1 ? u + 1 : th1 ? u - (k - 1) : -1;
          const j = lam2 ? v + 1 : th2 ? v - (k - 1) : -1;
          if (lam1 && lam2) return f1.psi * f2.psi * 2 * (a[j]! * bv[i]! + s * P[i]![j]!);
          if (lam1 && th2) return 2 * f1.psi * P[i]![j]! * a[j]!;
          if (lam1) return 2 * f1.psi * s * bv[i]!;
          if (th1 && lam2) return 2 * f2.psi * P[j]![i]! * bv[i]!;
          if (th1 && th2) return P[i]![j]! ** 2;
          if (th1) return bv[i]! ** 2;
          if (lam2) return 2 * f2.psi * s * a[j]!;
          if (th2) return a[j]! ** 2;
          return s * s;
        };
        for (let u = 0; u < size; u++) {
          for (let v = 0; v < size; v++) {
            if (l1 === l2 && v > u) break;
            const t = wgt * term(u, v);
            H[o1 + u]![o2 + v]! += t;
            if (!(l1 === l2 && u === v)) H[o2 + v]![o1 + u]! += t;
          }
        }
      }
    }
  };
  for (const d of stats.sizes) {
    const c = cholesky(sw.map((row, x) => row.map((v, y) => v + d.size * sb[x]![y]!)));
    if (!c.positiveDefinite) return undefined;
    add(choleskyInverse(c.l), d.count / N, [1, d.size], true);
  }
  if (N > J) {
    const c = cholesky(sw);
    if (!c.positiveDefinite) return undefined;
    add(choleskyInverse(c.l), (N - J) / N, [1, 0], false);
  }
  return H;
}

/**
 * The two-level one-factor model (own loadings, unique variances and factor variance at each level;
 * no residual covariances), by ML. `start` is the saturated model's solution; `converged` whether
 * that fit converged: where it did not, the data do not pin the two levels down, and the model is
 * tried from the first three starts only (the other six, for flat likelihoods near Heywood
 * solutions, then cost seconds and found nothing on the sample's per-therapist groups).
 */
export function fitOneFactor(stats: TwoLevelStats, start: { within: M; between: M; converged?: boolean }): OneFactorFit {
  const { k } = stats;
  const size = 2 * k; // k − 1 loadings, k unique variances, ψ
  const pack = (f: FactorLevel) => [...f.lambda.slice(1), ...f.theta, f.psi];
  const unpack = (x: readonly number[], off: number): FactorLevel => ({ lambda: [1, ...x.slice(off, off + k - 1)], theta: x.slice(off + k - 1, off + 2 * k - 1), psi: x[off + 2 * k - 1]! });
  const implied = (f: FactorLevel): M => f.lambda.map((la, a) => f.lambda.map((lb, b) => f.psi * la * lb + (a === b ? f.theta[a]! : 0)));
  const grad = (f: FactorLevel, d: M): number[] => {
    const dl = d.map((row) => row.reduce((s, v, b) => s + v * f.lambda[b]!, 0));
    return [...dl.slice(1).map((v) => 2 * f.psi * v), ...d.map((row, a) => row[a]!), f.lambda.reduce((s, l, a) => s + l * dl[a]!, 0)];
  };
  const fg = (x: readonly number[]) => {
    const w = unpack(x, 0);
    const b = unpack(x, size);
    const r = evaluate(stats, implied(w), implied(b));
    if (!r) return { value: Number.POSITIVE_INFINITY, gradient: [] };
    return { value: r.value, gradient: [...grad(w, r.dW), ...grad(b, r.dB)] };
  };
  // Fisher scoring first (the expected information of the one-factor parameters), then BFGS.
  const information = (x: readonly number[]): InformationSolver | undefined => {
    const info = oneFactorInformation(stats, unpack(x, 0), unpack(x, size));
    return info && denseSolver(info, 2 * size);
  };
  // Starts, in order, until a fit converges (the best of them otherwise): lavaan's "simple" start
  // (every λ = 1, θ half the diagonal, ψ = 0.05), the leading eigenvector of each level's saturated
  // Σ, and the simple start with a negative between-level ψ (a Heywood solution lies across ψ = 0,
  // where λ is not identified). From each, Fisher scoring then BFGS; and plain BFGS if that fails.
  const simple = (sigma: M): FactorLevel => ({ lambda: new Array<number>(k).fill(1), theta: sigma.map((row, a) => Math.abs(row[a]!) / 2 + 1e-6), psi: 0.05 });
  const starts = [
    () => [...pack(simple(start.within)), ...pack(simple(start.between))],
    () => [...pack(factorStart(start.within)), ...pack(factorStart(start.between))],
    () => [...pack(simple(start.within)), ...pack({ ...simple(start.between), psi: -0.05 })],
    // Then further between-level variances, both signs, for the flat likelihoods of Heywood solutions.
    ...[0.5, -0.5, 0.01, -0.01, 2, -2].map((psi) => () => [...pack(simple(start.within)), ...pack({ ...simple(start.between), psi })]),
  ];
  let fit: ReturnType<typeof minimizeBfgs> | undefined;
  const better = (f: ReturnType<typeof minimizeBfgs>) => !fit || (f.converged && !fit.converged) || (f.converged === fit.converged && f.value < fit.value);
  for (const make of start.converged === false ? starts.slice(0, 3) : starts) {
    const x0 = make();
    if (!Number.isFinite(fg(x0).value)) continue;
    const scored = scoring(fg, x0, information);
    const h0 = scored.maxGradient <= 1e-10 ? undefined : scored.inverseHessian();
    const f = scored.maxGradient <= 1e-10
      ? { x: scored.x, value: scored.value, maxGradient: scored.maxGradient, iterations: scored.iterations, evaluations: scored.evaluations, converged: true }
      : minimizeBfgs(fg, scored.x, { gTol: 1e-11, maxIterations: 2000, ...(h0 ? { inverseHessian: h0 } : {}) });
    if (scored.maxGradient > 1e-10) f.iterations += scored.iterations;
    if (better(f)) fit = f;
    if (fit!.converged) break;
    const plain = minimizeBfgs(fg, x0, { gTol: 1e-11, maxIterations: 2000 });
    if (better(plain)) fit = plain;
    if (fit!.converged) break;
  }
  if (!fit) fit = minimizeBfgs(fg, [...pack(simple(start.within)), ...pack(simple(start.within))], { gTol: 1e-11 });
  const within = unpack(fit.x, 0);
  const between = unpack(fit.x, size);
  const at = evaluate(stats, implied(within), implied(between))!;
  return { within, between, mu: at.mu, logLikelihood: logLikelihood(stats, at.value), converged: fit.converged && at !== undefined, iterations: fit.iterations, maxGradient: fit.maxGradient };
}

const sumAll = (m: M) => m.reduce((s, row) => s + row.reduce((t, v) => t + v, 0), 0);
const trace = (m: M) => m.reduce((s, row, i) => s + row[i]!, 0);

/** Within-cluster alpha, Lai (2021) eq. 25: k/(k−1) · (1′Σ_W1 − tr Σ_W) / 1′Σ_W1. */
export function alphaWithin(sigmaWithin: M): number {
  const k = sigmaWithin.length;
  const total = sumAll(sigmaWithin);
  return (k / (k - 1)) * ((total - trace(sigmaWithin)) / total);
}

/**
 * Between-cluster alpha of the observed cluster-mean composite, Lai (2021) eq. 24:
 * k/(k−1) · (1′Σ_B1 − tr Σ_B) / (1′Σ_B1 + 1′Σ_W1/ñ), ñ the harmonic mean cluster size.
 */
export function alphaBetween(sigmaWithin: M, sigmaBetween: M, harmonicSize: number): number {
  const k = sigmaBetween.length;
  const total = sumAll(sigmaBetween);
  return (k / (k - 1)) * ((total - trace(sigmaBetween)) / (total + sumAll(sigmaWithin) / harmonicSize));
}

/** Omega of one level of the one-factor model, Geldhof et al. (2014) as Lai (2021) eqs. 7, 8: ψ(Σλ)² / (ψ(Σλ)² + Σθ). */
export function omegaLevel(level: FactorLevel): number {
  const common = level.psi * level.lambda.reduce((s, l) => s + l, 0) ** 2;
  return common / (common + level.theta.reduce((s, t) => s + t, 0));
}

/** The smallest eigenvalue of a symmetric matrix (negative: not positive semi-definite). */
export function smallestEigenvalue(m: M): number {
  return Math.min(...new EigenvalueDecomposition(new Matrix(m), { assumeSymmetric: true }).realEigenvalues);
}
