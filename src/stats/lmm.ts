/**
 * A linear mixed model with one grouping factor and a correlated random intercept and slope,
 *   y = Xβ + Z b + ε,  b_g ~ N(0, Σ) per group (intercept, slope on z),  ε ~ N(0, σ² I),
 * fitted by REML exactly as lme4::lmer(y ~ X + (1 + z | group), REML = TRUE) parameterises it
 * (Bates, Mächler, Bolker & Walker, 2015, "Fitting linear mixed-effects models using lme4",
 * J. Stat. Softw. 67(1), section 3): Σ = σ² ΛΛ′ with Λ = [[θ1, 0], [θ2, θ3]], θ1, θ3 ≥ 0, and the
 * profiled REML criterion (their eq. 41)
 *   d(θ) = log|L_θ|² + log|R_X|² + (n − p)·(1 + log(2π r²(θ)/(n − p))),
 * where L_θ is the Cholesky factor of Λ′Z′ZΛ + I, R_X that of the fixed effects' Schur complement,
 * and r² the penalised residual sum of squares; σ̂² = r²/(n − p). Z′Z is block diagonal (one 2 × 2
 * block per group), so every quantity is accumulated group by group from the groups' cross-products,
 * made once. d(θ) is minimised by Nelder–Mead (src/stats/optimize.ts) from lme4's start θ = (1, 0, 1);
 * the sign of a column of Λ does not change ΛΛ′, so the search is unconstrained and the result is
 * reported with θ1, θ3 ≥ 0. A fit is singular, as lme4's isSingular says (tolerance 1e-4), when θ1
 * or θ3 is on the boundary. Checked against lme4 1.1.31 on fixtures/etr (three optimizers agreeing):
 * the fixed effects to 1e-6, the variance components to about 1e-5 relative, where the criterion is
 * so flat that its last digits (the sums of squares are differences of sums) decide the optimum.
 * Pure.
 */
import { minimize } from './optimize.js';

export interface RandomSlopeData {
  /** Observations. */
  n: number;
  /** Fixed-effect columns (X is n × p, row-major). */
  p: number;
  y: ArrayLike<number>;
  X: ArrayLike<number>;
  /** The random slope's covariate (the random intercept's column is 1). */
  z: ArrayLike<number>;
  /** Each observation's group, 0 … groups − 1 (every group with at least one observation). */
  group: ArrayLike<number>;
  groups: number;
}

export interface RandomSlopeFit {
  beta: number[];
  /** Standard errors of β: √diag(σ̂²(R_X′R_X)⁻¹), as lme4's vcov(). */
  se: number[];
  theta: [number, number, number];
  sigma2: number;
  varIntercept: number;
  varSlope: number;
  cov: number;
  /** REMLcrit: −2 × the REML log-likelihood at the optimum. */
  remlcrit: number;
  singular: boolean;
  evaluations: number;
  converged: boolean;
}

/** lme4's isSingular tolerance on θ's bounded elements. */
export const SINGULAR_TOL = 1e-4;

/** The groups' cross-products: per group Z′Z (3 numbers), Z′X (2p), Z′y (2); and X′X, X′y, y′y. */
interface CrossProducts {
  n: number;
  p: number;
  groups: number;
  ztz: Float64Array;
  ztx: Float64Array;
  zty: Float64Array;
  xtx: Float64Array;
  xty: Float64Array;
  yty: number;
}

function crossProducts(d: RandomSlopeData, shift: number): CrossProducts {
  const { n, p, groups, X, z, group } = d;
  const ztz = new Float64Array(3 * groups);
  const ztx = new Float64Array(2 * p * groups);
  const zty = new Float64Array(2 * groups);
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  let yty = 0;
  for (let i = 0; i < n; i++) {
    const g = group[i]!;
    const zi = z[i]!;
    const yi = d.y[i]! - shift;
    ztz[3 * g]! += 1;
    ztz[3 * g + 1]! += zi;
    ztz[3 * g + 2]! += zi * zi;
    zty[2 * g]! += yi;
    zty[2 * g + 1]! += zi * yi;
    yty += yi * yi;
    for (let j = 0; j < p; j++) {
      const xij = X[i * p + j]!;
      ztx[2 * p * g + j]! += xij;
      ztx[2 * p * g + p + j]! += zi * xij;
      xty[j]! += xij * yi;
      for (let k = 0; k <= j; k++) xtx[j * p + k]! += xij * X[i * p + k]!;
    }
  }
  for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) xtx[k * p + j] = xtx[j * p + k]!;
  return { n, p, groups, ztz, ztx, zty, xtx, xty, yty };
}

/** In-place Cholesky factor (lower) of a p × p matrix; false if it is not positive definite. */
function choleskyInPlace(a: Float64Array, p: number): boolean {
  for (let j = 0; j < p; j++) {
    let s = a[j * p + j]!;
    for (let k = 0; k < j; k++) s -= a[j * p + k]! * a[j * p + k]!;
    if (!(s > 0)) return false;
    const d = Math.sqrt(s);
    a[j * p + j] = d;
    for (let i = j + 1; i < p; i++) {
      let t = a[i * p + j]!;
      for (let k = 0; k < j; k++) t -= a[i * p + k]! * a[j * p + k]!;
      a[i * p + j] = t / d;
    }
    for (let k = j + 1; k < p; k++) a[j * p + k] = 0;
  }
  return true;
}

interface Evaluation {
  deviance: number;
  beta: number[];
  sigma2: number;
  /** R_X (lower triangular, row-major), for the standard errors. */
  rx: Float64Array;
}

/** The profiled REML criterion at θ (and, at the optimum, what it was made of). */
function evaluate(c: CrossProducts, theta: readonly number[]): Evaluation {
  const [a, b, cc] = theta as [number, number, number];
  const { p, groups, ztz, ztx, zty } = c;
  const A = Float64Array.from(c.xtx);
  const rhs = Float64Array.from(c.xty);
  let logdetL = 0;
  // |L|² = Π det(M_g); each det ≥ 1 (M = … + I), so the product is taken in runs and logged once per run.
  let run = 1;
  let ssqU = 0;
  const r0 = new Float64Array(p);
  const r1 = new Float64Array(p);
  for (let g = 0; g < groups; g++) {
    const n0 = ztz[3 * g]!;
    const s1 = ztz[3 * g + 1]!;
    const s2 = ztz[3 * g + 2]!;
    // M = Λ′ZᵍZ′Λ + I, Λ′ = [[a, b], [0, c]].
    const m11 = a * a * n0 + 2 * a * b * s1 + b * b * s2 + 1;
    const m21 = a * cc * s1 + b * cc * s2;
    const m22 = cc * cc * s2 + 1;
    const l11 = Math.sqrt(m11);
    const l21 = m21 / l11;
    const l22sq = m22 - l21 * l21;
    const l22 = Math.sqrt(l22sq);
    run *= m11 * l22sq;
    if (run > 1e250) {
      logdetL += Math.log(run);
      run = 1;
    }
    // R_ZX = L⁻¹ Λ′ Z′X and c_u = L⁻¹ Λ′ Z′y (forward substitution).
    const o = 2 * p * g;
    for (let j = 0; j < p; j++) {
      const w0 = a * ztx[o + j]! + b * ztx[o + p + j]!;
      const w1 = cc * ztx[o + p + j]!;
      r0[j] = w0 / l11;
      r1[j] = (w1 - l21 * r0[j]!) / l22;
    }
    const u0 = (a * zty[2 * g]! + b * zty[2 * g + 1]!) / l11;
    const u1 = (cc * zty[2 * g + 1]! - l21 * u0) / l22;
    ssqU += u0 * u0 + u1 * u1;
    for (let j = 0; j < p; j++) {
      rhs[j]! -= r0[j]! * u0 + r1[j]! * u1;
      for (let k = 0; k <= j; k++) A[j * p + k]! -= r0[j]! * r0[k]! + r1[j]! * r1[k]!;
    }
  }
  logdetL += Math.log(run);
  for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) A[k * p + j] = A[j * p + k]!;
  if (!choleskyInPlace(A, p)) return { deviance: Number.POSITIVE_INFINITY, beta: [], sigma2: Number.NaN, rx: A };
  let logdetR = 0;
  for (let j = 0; j < p; j++) logdetR += 2 * Math.log(A[j * p + j]!);
  // c_β = R_X⁻¹ rhs (R_X lower: R_X R_X′ = A), β = R_X′⁻¹ c_β.
  const cb = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    let s = rhs[j]!;
    for (let k = 0; k < j; k++) s -= A[j * p + k]! * cb[k]!;
    cb[j] = s / A[j * p + j]!;
  }
  let ssqB = 0;
  for (let j = 0; j < p; j++) ssqB += cb[j]! * cb[j]!;
  const beta = new Array<number>(p).fill(0);
  for (let j = p - 1; j >= 0; j--) {
    let s = cb[j]!;
    for (let k = j + 1; k < p; k++) s -= A[k * p + j]! * beta[k]!;
    beta[j] = s / A[j * p + j]!;
  }
  const r2 = c.yty - ssqU - ssqB;
  const df = c.n - p;
  const deviance = logdetL + logdetR + df * (1 + Math.log((2 * Math.PI * r2) / df));
  return { deviance, beta, sigma2: r2 / df, rx: A };
}

/** The REML fit (see the module comment). Needs more observations than random effects (2 per group), as lme4 does. */
export function fitRandomSlope(data: RandomSlopeData): RandomSlopeFit {
  if (data.n <= 2 * data.groups) throw new RangeError(`${data.n} observations are not more than the ${2 * data.groups} random effects`);
  // y is centred when X has an intercept column (β0 takes the mean back): yᵀy then holds the sum of
  // squares about the mean, not n·ȳ² more, and the penalised residual r² = yᵀy − … loses fewer digits.
  let intercept = true;
  for (let i = 0; i < data.n && intercept; i++) intercept = data.X[i * data.p] === 1;
  let shift = 0;
  if (intercept) {
    for (let i = 0; i < data.n; i++) shift += data.y[i]!;
    shift /= data.n;
  }
  const c = crossProducts(data, shift);
  const deviance = (t: readonly number[]) => evaluate(c, t).deviance;
  const opt = minimize(deviance, [1, 0, 1], { step: 0.25 });
  let [a, b, cc] = opt.x as [number, number, number];
  if (a < 0) [a, b] = [-a, -b];
  if (cc < 0) cc = -cc;
  const theta: [number, number, number] = [a, b, cc];
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
  return {
    beta: at.beta,
    se,
    theta,
    sigma2: at.sigma2,
    varIntercept: at.sigma2 * a * a,
    varSlope: at.sigma2 * (b * b + cc * cc),
    cov: at.sigma2 * a * b,
    remlcrit: at.deviance,
    singular: a < SINGULAR_TOL || cc < SINGULAR_TOL,
    evaluations: opt.evaluations,
    converged: opt.converged,
  };
}
