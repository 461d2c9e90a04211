/**
 * McDonald's omega total from a one-factor (congeneric) model fitted by maximum likelihood to a
 * covariance matrix: ω = (Σλ)² / ((Σλ)² + Σθ)  (McDonald, 1999, ch. 6). Pure.
 *
 * The fit minimises F = log|Σ| + tr(SΣ⁻¹) − log|S| − p with Σ = λλ' + diag(θ), the discrepancy
 * lavaan's ML estimator uses; S has divisor N as in lavaan. Like lavaan's default, variances are
 * not bounded, so a Heywood case shows up as θ ≤ 0 and is flagged. Optimisation is Fisher scoring
 * (Jennrich & Robinson, 1969) from factanal-style starting values (Jöreskog, 1967), with step
 * halving whenever F does not decrease.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { cholesky, choleskyInverse, luSolve, type Mat, pinv } from './matrix.js';

export interface OneFactorFit {
  loadings: number[];
  /** Residual (unique) variances θ. */
  uniquenesses: number[];
  omega: number;
  /** Some θ ≤ 0, or a standardised loading of 1 or more. */
  heywood: boolean;
  converged: boolean;
  iterations: number;
  /** The minimised discrepancy F. */
  fmin: number;
}

interface Evaluation {
  f: number;
  w: number[][];
  sigma: number[][];
}

function evaluate(s: Mat, lambda: number[], theta: number[], logDetS: number): Evaluation | undefined {
  const p = lambda.length;
  const sigma = lambda.map((li, i) => lambda.map((lj, j) => li * lj + (i === j ? theta[i]! : 0)));
  const { l, positiveDefinite } = cholesky(sigma);
  if (!positiveDefinite) return undefined;
  let logDet = 0;
  for (let i = 0; i < p; i++) logDet += 2 * Math.log(l[i]![i]!);
  const w = choleskyInverse(l);
  let tr = 0;
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) tr += s[i]![j]! * w[j]![i]!;
  return { f: logDet + tr - logDetS - p, w, sigma };
}

/** Starting values: θ_i = (1 − 0.5/p)/(S⁻¹)_ii; λ from the first eigenpair of θ^-½ S θ^-½ (as R's factanal). */
function startingValues(s: Mat): { lambda: number[]; theta: number[] } {
  const p = s.length;
  const sInv = pinv(s);
  const theta = s.map((_, i) => Math.max((1 - 0.5 / p) / sInv[i]![i]!, 1e-6 * s[i]![i]!));
  const sc = theta.map((t) => 1 / Math.sqrt(t));
  // S* = θ^-½ S θ^-½ and its eigen-decomposition (ml-matrix).
  const sStar = s.map((row, i) => row.map((v, j) => sc[i]! * v * sc[j]!));
  const eig = new EigenvalueDecomposition(new Matrix(sStar), { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const vectors = eig.eigenvectorMatrix.to2DArray();
  let top = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[top]!) top = i;
  const scale = Math.sqrt(Math.max(values[top]! - 1, 1e-6));
  const lambda = theta.map((t, i) => Math.sqrt(t) * vectors[i]![top]! * scale);
  return { lambda, theta };
}

/**
 * W D W for symmetric p × p W and D, in plain loops: for the small matrices of a scale, making
 * ml-matrix objects cost more than the arithmetic (a bootstrap fits a thousand models).
 */
function symmetricProduct(w: Mat, d: Mat): number[][] {
  const p = w.length;
  const wd = Array.from({ length: p }, (_, i) => {
    const row = new Array<number>(p).fill(0);
    for (let k = 0; k < p; k++) {
      const wik = w[i]![k]!;
      const dk = d[k]!;
      for (let j = 0; j < p; j++) row[j]! += wik * dk[j]!;
    }
    return row;
  });
  return wd.map((row) => {
    const out = new Array<number>(p).fill(0);
    for (let k = 0; k < p; k++) {
      const rk = row[k]!;
      const wk = w[k]!;
      for (let j = 0; j < p; j++) out[j]! += rk * wk[j]!;
    }
    return out;
  });
}

/**
 * `start`: loadings and uniquenesses to start from (a bootstrap resample starts from the whole
 * sample's fit, a few steps from its own); the default start is as above.
 */
export function fitOneFactor(s: Mat, opts: { maxIterations?: number; tolerance?: number; start?: { lambda: number[]; theta: number[] } } = {}): OneFactorFit {
  const p = s.length;
  const maxIterations = opts.maxIterations ?? 500;
  const tolerance = opts.tolerance ?? 1e-10;
  const cholS = cholesky(s);
  if (!cholS.positiveDefinite) throw new Error('the covariance matrix is not positive definite');
  let logDetS = 0;
  for (let i = 0; i < p; i++) logDetS += 2 * Math.log(cholS.l[i]![i]!);

  let { lambda, theta } = opts.start ?? startingValues(s);
  let current = evaluate(s, lambda, theta, logDetS);
  if (!current && opts.start) {
    ({ lambda, theta } = startingValues(s));
    current = evaluate(s, lambda, theta, logDetS);
  }
  if (!current) throw new Error('could not start the factor model');
  let converged = false;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const { w, sigma } = current;
    // M = W (Σ − S) W; gradient of F: dF/dλ = 2Mλ, dF/dθ = diag(M).
    const d = sigma.map((row, i) => row.map((v, j) => v - s[i]![j]!));
    const m = symmetricProduct(w, d);
    const u = w.map((row) => row.reduce((acc, v, j) => acc + v * lambda[j]!, 0));
    const c = lambda.reduce((acc, l, i) => acc + l * u[i]!, 0);
    const grad = [...lambda.map((_, i) => 2 * m[i]!.reduce((acc, v, j) => acc + v * lambda[j]!, 0)), ...theta.map((_, i) => m[i]![i]!)];
    if (Math.max(...grad.map(Math.abs)) < tolerance) {
      converged = true;
      break;
    }
    // Expected information: tr(W Σ_a W Σ_b) for a, b in (λ, θ).
    const h = Array.from({ length: 2 * p }, () => new Array<number>(2 * p).fill(0));
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) {
        h[i]![j] = 2 * (u[i]! * u[j]! + c * w[i]![j]!);
        h[i]![p + j] = h[p + j]![i] = 2 * w[i]![j]! * u[j]!;
        h[p + i]![p + j] = w[i]![j]! ** 2;
      }
    }
    const step = luSolve(h, grad);
    let t = 1;
    let next: Evaluation | undefined;
    let nl: number[] = lambda;
    let nt: number[] = theta;
    for (let halving = 0; halving < 40; halving++, t /= 2) {
      nl = lambda.map((l, i) => l - t * step[i]!);
      nt = theta.map((th, i) => th - t * step[p + i]!);
      next = evaluate(s, nl, nt, logDetS);
      if (next && next.f <= current.f + 1e-15 * Math.max(1, Math.abs(current.f))) break;
      next = undefined;
    }
    if (!next) {
      converged = Math.max(...grad.map(Math.abs)) < 1e-7;
      break;
    }
    const improvement = current.f - next.f;
    lambda = nl;
    theta = nt;
    current = next;
    // Stop when F no longer moves at double precision; converged if the gradient is then small.
    if (improvement <= 1e-14 * Math.max(1, Math.abs(current.f))) {
      converged = Math.max(...grad.map(Math.abs)) < 1e-6;
      break;
    }
  }
  const sumL = lambda.reduce((a, b) => a + b, 0);
  if (sumL < 0) lambda = lambda.map((l) => -l);
  const sl = Math.abs(sumL);
  const sumT = theta.reduce((a, b) => a + b, 0);
  const heywood = theta.some((t) => t <= 0) || lambda.some((l, i) => (l * l) / s[i]![i]! >= 1);
  return { loadings: lambda, uniquenesses: theta, omega: (sl * sl) / (sl * sl + sumT), heywood, converged, iterations, fmin: current.f };
}
