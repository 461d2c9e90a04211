/**
 * Linear mixed models fitted by REML exactly as lme4::lmer parameterises them (Bates, Mächler,
 * Bolker & Walker, 2015, "Fitting linear mixed-effects models using lme4", J. Stat. Softw. 67(1),
 * section 3), for the two shapes rapport needs:
 *   y = Xβ + Z₁b₁ + Z₂b₂ + ε,
 * b₁: per group of the first factor (client) a random intercept, or a correlated intercept and slope
 * on z, with covariance σ²Λ₁Λ₁′, Λ₁ = [θ1] or [[θ1, 0], [θ2, θ3]]; b₂ (optional): a random intercept
 * per group of a second factor (therapist), nested or crossed, variance σ²θ_t²; ε ~ N(0, σ²I).
 * The profiled REML criterion (their eq. 41) is
 *   d(θ) = log|L_θ|² + log|R_X|² + (n − p)·(1 + log(2π r²(θ)/(n − p))),
 * L_θ the Cholesky factor of Λ′Z′ZΛ + I, R_X that of the fixed effects' Schur complement, r² the
 * penalised residual sum of squares; σ̂² = r²/(n − p). The first factor's blocks of Λ′Z′ZΛ + I are
 * eliminated group by group (they are 1 × 1 or 2 × 2); what remains (the second factor's effects,
 * the fixed effects and y) is one small dense matrix, whose Cholesky factor gives the rest of
 * log|L_θ|², R_X, r² and β. d(θ) is minimised by Nelder–Mead (src/stats/optimize.ts) from lme4's
 * start (1 on Λ's diagonal, 0 off it); a column's sign does not change ΛΛ′, so the search is
 * unconstrained and the result is reported with the diagonal ≥ 0. A fit is singular, as lme4's
 * isSingular says (tolerance 1e-4), when a diagonal element of Λ is on the boundary. Checked
 * against lme4 1.1.31 on fixtures/etr and fixtures/link (three optimizers agreeing). Pure.
 */
import { minimize } from './optimize.js';

export interface MixedData {
  /** Observations. */
  n: number;
  /** Fixed-effect columns (X is n × p, row-major). */
  p: number;
  y: ArrayLike<number>;
  X: ArrayLike<number>;
  /** Each observation's group of the first factor, 0 … groups − 1 (every group observed). */
  group: ArrayLike<number>;
  groups: number;
  /** The first factor's random slope covariate, when it has one (then 2 random effects per group). */
  slope?: ArrayLike<number>;
  /** A second grouping factor with a random intercept (0 … groups2 − 1), nested or crossed. */
  group2?: ArrayLike<number>;
  groups2?: number;
}

export interface MixedFit {
  beta: number[];
  /** Standard errors of β: √diag(σ̂²(R_X′R_X)⁻¹), as lme4's vcov(). */
  se: number[];
  /** Λ₁'s elements (1 or 3), then θ_t when there is a second factor. */
  theta: number[];
  sigma2: number;
  /** The first factor's covariance matrix (1 × 1 or 2 × 2), σ²Λ₁Λ₁′. */
  cov1: number[][];
  /** The second factor's variance, σ²θ_t² (0 without one). */
  var2: number;
  /** REMLcrit: −2 × the REML log-likelihood at the optimum. */
  remlcrit: number;
  singular: boolean;
  evaluations: number;
  converged: boolean;
}

/** lme4's isSingular tolerance on θ's bounded elements. */
export const SINGULAR_TOL = 1e-4;

/** What an evaluation needs, made once: per group and per (group, second group) pair cross-products. */
interface Prepared {
  n: number;
  p: number;
  q: number;
  groups: number;
  T: number;
  /** Per group: Z′Z (q = 1: n; q = 2: n, Σz, Σz²), Z′X (q × p), Z′y (q). */
  ztz: Float64Array;
  ztx: Float64Array;
  zty: Float64Array;
  /** Per group, its (second group, count, Σz) triples: offsets into pairT/pairN/pairZ. */
  pairStart: Int32Array;
  pairT: Int32Array;
  pairN: Float64Array;
  pairZ: Float64Array;
  /** Second factor: counts, Z₂′X (T × p), Z₂′y. */
  n2: Float64Array;
  z2x: Float64Array;
  z2y: Float64Array;
  xtx: Float64Array;
  xty: Float64Array;
  yty: number;
}

function prepare(d: MixedData, shift: number): Prepared {
  const { n, p, groups, X, group } = d;
  const q = d.slope ? 2 : 1;
  const T = d.group2 ? d.groups2! : 0;
  const qq = q === 1 ? 1 : 3;
  const ztz = new Float64Array(qq * groups);
  const ztx = new Float64Array(q * p * groups);
  const zty = new Float64Array(q * groups);
  const n2 = new Float64Array(T);
  const z2x = new Float64Array(T * p);
  const z2y = new Float64Array(T);
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  let yty = 0;
  const pairs = new Map<number, Map<number, [number, number]>>();
  for (let i = 0; i < n; i++) {
    const g = group[i]!;
    const zi = d.slope ? d.slope[i]! : 0;
    const yi = d.y[i]! - shift;
    ztz[qq * g]! += 1;
    if (q === 2) {
      ztz[qq * g + 1]! += zi;
      ztz[qq * g + 2]! += zi * zi;
    }
    zty[q * g]! += yi;
    if (q === 2) zty[q * g + 1]! += zi * yi;
    yty += yi * yi;
    const t = d.group2 ? d.group2[i]! : -1;
    if (t >= 0) {
      n2[t]! += 1;
      z2y[t]! += yi;
      let m = pairs.get(g);
      if (!m) pairs.set(g, (m = new Map()));
      const cur = m.get(t) ?? [0, 0];
      cur[0] += 1;
      cur[1] += zi;
      m.set(t, cur);
    }
    for (let j = 0; j < p; j++) {
      const xij = X[i * p + j]!;
      ztx[q * p * g + j]! += xij;
      if (q === 2) ztx[q * p * g + p + j]! += zi * xij;
      if (t >= 0) z2x[t * p + j]! += xij;
      xty[j]! += xij * yi;
      for (let k = 0; k <= j; k++) xtx[j * p + k]! += xij * X[i * p + k]!;
    }
  }
  for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) xtx[k * p + j] = xtx[j * p + k]!;
  const pairStart = new Int32Array(groups + 1);
  const pairT: number[] = [];
  const pairN: number[] = [];
  const pairZ: number[] = [];
  for (let g = 0; g < groups; g++) {
    pairStart[g] = pairT.length;
    for (const [t, [cnt, sz]] of pairs.get(g) ?? []) {
      pairT.push(t);
      pairN.push(cnt);
      pairZ.push(sz);
    }
  }
  pairStart[groups] = pairT.length;
  return { n, p, q, groups, T, ztz, ztx, zty, pairStart, pairT: Int32Array.from(pairT), pairN: Float64Array.from(pairN), pairZ: Float64Array.from(pairZ), n2, z2x, z2y, xtx, xty, yty };
}

/** In-place Cholesky factor (lower) of an m × m matrix; false if it is not positive definite. */
function choleskyInPlace(a: Float64Array, m: number): boolean {
  for (let j = 0; j < m; j++) {
    let s = a[j * m + j]!;
    for (let k = 0; k < j; k++) s -= a[j * m + k]! * a[j * m + k]!;
    if (!(s > 0)) return false;
    const d = Math.sqrt(s);
    a[j * m + j] = d;
    for (let i = j + 1; i < m; i++) {
      let t = a[i * m + j]!;
      for (let k = 0; k < j; k++) t -= a[i * m + k]! * a[j * m + k]!;
      a[i * m + j] = t / d;
    }
    for (let k = j + 1; k < m; k++) a[j * m + k] = 0;
  }
  return true;
}

interface Evaluation {
  deviance: number;
  beta: number[];
  sigma2: number;
  /** The factor of the fixed effects' block (lower, p × p), for the standard errors. */
  rx: Float64Array;
}

/** The profiled REML criterion at θ (and, at the optimum, what it was made of). */
function evaluate(c: Prepared, theta: readonly number[]): Evaluation {
  const { p, q, groups, T, ztz, ztx, zty, pairStart, pairT, pairN, pairZ } = c;
  const [a, b, cc] = q === 1 ? [theta[0]!, 0, 0] : [theta[0]!, theta[1]!, theta[2]!];
  const tt = T > 0 ? theta[q === 1 ? 1 : 3]! : 0;
  // The reduced, augmented system over (second factor's effects, fixed effects, y): m × m.
  const m = T + p + 1;
  const R = new Float64Array(m * m);
  const Y = T + p;
  for (let t = 0; t < T; t++) {
    R[t * m + t] = tt * tt * c.n2[t]! + 1;
    for (let j = 0; j < p; j++) R[(T + j) * m + t] = tt * c.z2x[t * p + j]!;
    R[Y * m + t] = tt * c.z2y[t]!;
  }
  for (let j = 0; j < p; j++) {
    for (let k = 0; k <= j; k++) R[(T + j) * m + T + k] = c.xtx[j * p + k]!;
    R[Y * m + T + j] = c.xty[j]!;
  }
  R[Y * m + Y] = c.yty;
  let logdet = 0;
  // |L₁|² = Π det(B_g); each det ≥ 1 (B = … + I), so the product is taken in runs and logged once per run.
  let run = 1;
  const w0 = new Float64Array(m);
  const w1 = new Float64Array(m);
  for (let g = 0; g < groups; g++) {
    // B = Λ₁′ Z′Z Λ₁ + I and its factor; W = L⁻¹ Λ₁′ Z_g′ [Z₂Λ₂ | X | y] (q rows), sparse in its Z₂ part.
    let l11: number;
    let l21 = 0;
    let l22 = 1;
    if (q === 1) {
      const b11 = a * a * ztz[g]! + 1;
      l11 = Math.sqrt(b11);
      run *= b11;
    } else {
      const n0 = ztz[3 * g]!;
      const s1 = ztz[3 * g + 1]!;
      const s2 = ztz[3 * g + 2]!;
      const m11 = a * a * n0 + 2 * a * b * s1 + b * b * s2 + 1;
      const m21 = a * cc * s1 + b * cc * s2;
      const m22 = cc * cc * s2 + 1;
      l11 = Math.sqrt(m11);
      l21 = m21 / l11;
      const l22sq = m22 - l21 * l21;
      l22 = Math.sqrt(l22sq);
      run *= m11 * l22sq;
    }
    if (run > 1e250) {
      logdet += Math.log(run);
      run = 1;
    }
    const o = q * p * g;
    for (let j = 0; j < p; j++) {
      if (q === 1) w0[T + j] = (a * ztx[o + j]!) / l11;
      else {
        w0[T + j] = (a * ztx[o + j]! + b * ztx[o + p + j]!) / l11;
        w1[T + j] = (cc * ztx[o + p + j]! - l21 * w0[T + j]!) / l22;
      }
    }
    if (q === 1) w0[Y] = (a * zty[g]!) / l11;
    else {
      w0[Y] = (a * zty[2 * g]! + b * zty[2 * g + 1]!) / l11;
      w1[Y] = (cc * zty[2 * g + 1]! - l21 * w0[Y]!) / l22;
    }
    const from = pairStart[g]!;
    const to = pairStart[g + 1]!;
    for (let k = from; k < to; k++) {
      const t = pairT[k]!;
      if (q === 1) w0[t] = (a * tt * pairN[k]!) / l11;
      else {
        w0[t] = ((a * pairN[k]! + b * pairZ[k]!) * tt) / l11;
        w1[t] = (cc * pairZ[k]! * tt - l21 * w0[t]!) / l22;
      }
    }
    // R −= W′W over the columns W touches: this group's second-factor effects, the fixed effects, y.
    const cols: number[] = [];
    for (let k = from; k < to; k++) cols.push(pairT[k]!);
    for (let j = 0; j <= p; j++) cols.push(T + j);
    for (let x = 0; x < cols.length; x++) {
      const i = cols[x]!;
      for (let yy = 0; yy <= x; yy++) {
        const j = cols[yy]!;
        const [hi, lo] = i >= j ? [i, j] : [j, i];
        R[hi * m + lo]! -= w0[i]! * w0[j]! + (q === 2 ? w1[i]! * w1[j]! : 0);
      }
    }
    for (let k = from; k < to; k++) {
      w0[pairT[k]!] = 0;
      w1[pairT[k]!] = 0;
    }
  }
  logdet += Math.log(run);
  for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) R[j * m + i] = R[i * m + j]!;
  if (!choleskyInPlace(R, m)) return { deviance: Number.POSITIVE_INFINITY, beta: [], sigma2: Number.NaN, rx: new Float64Array(0) };
  for (let t = 0; t < T; t++) logdet += 2 * Math.log(R[t * m + t]!);
  let logdetR = 0;
  for (let j = 0; j < p; j++) logdetR += 2 * Math.log(R[(T + j) * m + T + j]!);
  const r = R[Y * m + Y]!;
  const r2 = r * r;
  // β from L_ββ′ β = c_β, c_β the fixed part of the factor's last row.
  const beta = new Array<number>(p).fill(0);
  for (let j = p - 1; j >= 0; j--) {
    let s = R[Y * m + T + j]!;
    for (let k = j + 1; k < p; k++) s -= R[(T + k) * m + T + j]! * beta[k]!;
    beta[j] = s / R[(T + j) * m + T + j]!;
  }
  const rx = new Float64Array(p * p);
  for (let j = 0; j < p; j++) for (let k = 0; k <= j; k++) rx[j * p + k] = R[(T + j) * m + T + k]!;
  const df = c.n - p;
  const deviance = logdet + logdetR + df * (1 + Math.log((2 * Math.PI * r2) / df));
  return { deviance, beta, sigma2: r2 / df, rx };
}

/** The REML fit (see the module comment). Needs more observations than random effects, as lme4 does. */
export function fitMixed(data: MixedData): MixedFit {
  const q = data.slope ? 2 : 1;
  const effects = q * data.groups + (data.group2 ? data.groups2! : 0);
  if (data.n <= q * data.groups) throw new RangeError(`${data.n} observations are not more than the ${q * data.groups} random effects of the first grouping factor`);
  if (effects <= 0) throw new RangeError('no random effect');
  // y is centred when X has an intercept column (β0 takes the mean back): yᵀy then holds the sum of
  // squares about the mean, and the penalised residual loses fewer digits.
  let intercept = true;
  for (let i = 0; i < data.n && intercept; i++) intercept = data.X[i * data.p] === 1;
  let shift = 0;
  if (intercept) {
    for (let i = 0; i < data.n; i++) shift += data.y[i]!;
    shift /= data.n;
  }
  const c = prepare(data, shift);
  const start = [...(q === 1 ? [1] : [1, 0, 1]), ...(data.group2 ? [1] : [])];
  const opt = minimize((t) => evaluate(c, t).deviance, start, { step: 0.25 });
  const theta = [...opt.x];
  // Report Λ with a non-negative diagonal (a column's sign does not change ΛΛ′).
  if (theta[0]! < 0) {
    theta[0] = -theta[0]!;
    if (q === 2) theta[1] = -theta[1]!;
  }
  if (q === 2 && theta[2]! < 0) theta[2] = -theta[2]!;
  if (data.group2) theta[theta.length - 1] = Math.abs(theta[theta.length - 1]!);
  const at = evaluate(c, theta);
  const { p } = data;
  // vcov(β) = σ² (R_X R_X′)⁻¹ = σ² R_X′⁻¹ R_X⁻¹: column j of R_X⁻¹ by forward substitution.
  const inv = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    for (let i = 0; i < p; i++) {
      let s = i === j ? 1 : 0;
      for (let k = 0; k < i; k++) s -= at.rx[i * p + k]! * inv[k * p + j]!;
      inv[i * p + j] = s / at.rx[i * p + i]!;
    }
  }
  const se = Array.from({ length: p }, (_, j) => {
    let s = 0;
    for (let i = 0; i < p; i++) s += inv[i * p + j]! * inv[i * p + j]!;
    return Math.sqrt(at.sigma2 * s);
  });
  if (intercept) at.beta[0]! += shift;
  const s2 = at.sigma2;
  const cov1 = q === 1 ? [[s2 * theta[0]! * theta[0]!]] : [
    [s2 * theta[0]! * theta[0]!, s2 * theta[0]! * theta[1]!],
    [s2 * theta[0]! * theta[1]!, s2 * (theta[1]! * theta[1]! + theta[2]! * theta[2]!)],
  ];
  const diagonal = [theta[0]!, ...(q === 2 ? [theta[2]!] : []), ...(data.group2 ? [theta[theta.length - 1]!] : [])];
  return {
    beta: at.beta,
    se,
    theta,
    sigma2: s2,
    cov1,
    var2: data.group2 ? s2 * theta[theta.length - 1]! ** 2 : 0,
    remlcrit: at.deviance,
    singular: diagonal.some((d) => d < SINGULAR_TOL),
    evaluations: opt.evaluations,
    converged: opt.converged,
  };
}
