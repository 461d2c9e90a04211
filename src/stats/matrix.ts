/**
 * Small matrix helpers on plain arrays and Float64Arrays; the decompositions are ml-matrix's
 * (SVD, symmetric eigen-decomposition). Cholesky and the LU solve of the small systems in the
 * factor fit are plain loops here: a bootstrap fits a thousand models, and making ml-matrix objects
 * for 4 × 4 matrices cost more than the arithmetic. Pure.
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';

export type Mat = readonly (readonly number[])[];

export const sumAll = (m: Mat): number => m.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
export const trace = (m: Mat): number => m.reduce((s, row, i) => s + row[i]!, 0);

/** The matrix without row and column i. */
export function dropIndex(m: Mat, i: number): number[][] {
  return m.filter((_, r) => r !== i).map((row) => row.filter((_, c) => c !== i));
}

/**
 * Moore–Penrose pseudo-inverse with psych's `Pinv` rule (psych 2.2.9): singular values
 * d > sqrt(.Machine$double.eps) · d_1 are inverted, the rest dropped. Equals the inverse for a
 * well-conditioned matrix. The SVD is ml-matrix's SingularValueDecomposition.
 */
export function pinv(m: Mat): number[][] {
  const n = m.length;
  for (let i = 0; i < n; i++) if (m[i]!.length !== n) throw new RangeError(`pinv needs a square matrix, got row ${i} of length ${m[i]!.length} in ${n} rows`);
  const svd = new SingularValueDecomposition(new Matrix(m.map((r) => [...r])), { autoTranspose: true });
  const d = svd.diagonal;
  const tol = Math.sqrt(Number.EPSILON) * (d[0] ?? 0);
  const U = svd.leftSingularVectors.to2DArray();
  const V = svd.rightSingularVectors.to2DArray();
  // out(i, j) = Σ_s (V(i, s) · (1/d_s)) · U(j, s), summed from 0 in increasing s.
  const out = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let s = 0; s < d.length; s++) {
    if (!(d[s]! > Math.max(tol, 0))) continue;
    const inv = 1 / d[s]!;
    for (let i = 0; i < n; i++) {
      const vi = V[i]![s]! * inv;
      const row = out[i]!;
      for (let j = 0; j < n; j++) row[j] = row[j]! + vi * U[j]![s]!;
    }
  }
  return out;
}

/**
 * Squared multiple correlations of each variable with all others, psych's `smc`:
 * 1 − 1/diag(R⁻¹), clipped to [0, 1] as psych clips them. Assumes R has no missing entries.
 */
export function smc(r: Mat): number[] {
  const inv = pinv(r);
  return inv.map((row, i) => Math.min(1, Math.max(0, 1 - 1 / row[i]!)));
}

/** Median of a list (mean of the middle two for an even count), as R's `median`. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A · B for small dense matrices. */
export function matmul(a: Mat, b: Mat): number[][] {
  const n = a.length;
  const m = b[0]?.length ?? 0;
  const inner = b.length;
  const out = Array.from({ length: n }, () => new Array<number>(m).fill(0));
  for (let i = 0; i < n; i++) for (let t = 0; t < inner; t++) {
    const v = a[i]![t]!;
    if (v === 0) continue;
    for (let j = 0; j < m; j++) out[i]![j]! += v * b[t]![j]!;
  }
  return out;
}

/**
 * The inner loops of cholesky and choleskyInverse, as functions of their own so that V8 optimises
 * them after a few calls instead of running them in the interpreter (outside --boot a run does only
 * a few dozen factor-model evaluations). Each takes its sum in the loop's order, so the results
 * are the same to the bit.
 */
/** Σ a[i] · b[i] for i < n, from 0. */
function rowDot(a: readonly number[], b: readonly number[], n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i]! * b[i]!;
  return s;
}

/** b[k][j] − Σ b[i][j] · lk[i] for i < k, subtracted one after another. */
function forwardStep(b: readonly (readonly number[])[], j: number, lk: readonly number[], k: number): number {
  let v = b[k]![j]!;
  for (let i = 0; i < k; i++) v = v - b[i]![j]! * lk[i]!;
  return v;
}

/** b[k][j] − Σ b[i][j] · l[i][k] for i > k, subtracted one after another. */
function backStep(b: readonly (readonly number[])[], j: number, l: Mat, k: number): number {
  let v = b[k]![j]!;
  for (let i = k + 1; i < b.length; i++) v = v - b[i]![j]! * l[i]![k]!;
  return v;
}

/**
 * Cholesky factor L (lower) of a symmetric matrix, and whether it is positive definite: the
 * Cholesky–Banachiewicz loop of ml-matrix's CholeskyDecomposition, operation for operation (so the
 * results are the same to the bit), on plain arrays. For the small matrices of a scale, making
 * ml-matrix objects cost more than the arithmetic (a bootstrap fits a thousand factor models).
 */
export function cholesky(a: Mat): { l: number[][]; positiveDefinite: boolean } {
  const n = a.length;
  const l = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  let positiveDefinite = true;
  for (let j = 0; j < n; j++) {
    const lj = l[j]!;
    let d = 0;
    for (let k = 0; k < j; k++) {
      const lk = l[k]!;
      let s = rowDot(lk, lj, k);
      s = (a[j]![k]! - s) / lk[k]!;
      lj[k] = s;
      d = d + s * s;
    }
    d = a[j]![j]! - d;
    positiveDefinite &&= d > 0;
    lj[j] = Math.sqrt(Math.max(d, 0));
  }
  return { l, positiveDefinite };
}

/** A⁻¹ from A's Cholesky factor: ml-matrix's CholeskyDecomposition.solve(I), operation for operation. */
export function choleskyInverse(l: Mat): number[][] {
  const n = l.length;
  const b = Array.from({ length: n }, (_, i) => {
    const row = new Array<number>(n).fill(0);
    row[i] = 1;
    return row;
  });
  for (let k = 0; k < n; k++) {
    const bk = b[k]!;
    const lk = l[k]!;
    for (let j = 0; j < n; j++) bk[j] = forwardStep(b, j, lk, k) / lk[k]!;
  }
  for (let k = n - 1; k >= 0; k--) {
    const bk = b[k]!;
    for (let j = 0; j < n; j++) bk[j] = backStep(b, j, l, k) / l[k]![k]!;
  }
  return b;
}

/**
 * Σ a[k] · b[k] for k < n, summed from 0 in order: luSolve's inner loop, a function of its own so
 * that V8 optimises it after a few calls rather than running it in the interpreter (a solve is
 * done a handful of times per process outside --boot).
 */
function dotPrefix(a: Float64Array, b: Float64Array, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[k]! * b[k]!;
  return s;
}

/**
 * x with A x = b for a square A: LU with partial pivoting, ml-matrix's LuDecomposition and its
 * solve, operation for operation, on plain arrays. Throws as ml-matrix does when a pivot is 0.
 */
export function luSolve(a: Mat, b: readonly number[]): number[] {
  const n = a.length;
  // Rows as typed arrays: plain arrays of whole numbers and of fractions have different shapes, and a
  // bootstrap's thousands of solves then kept throwing the compiled code away (V8 "wrong map").
  const lu = a.map((r) => Float64Array.from(r));
  const pivot = Array.from({ length: n }, (_, i) => i);
  const col = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) col[i] = lu[i]![j]!;
    for (let i = 0; i < n; i++) {
      const li = lu[i]!;
      col[i]! -= dotPrefix(li, col, Math.min(i, j));
      li[j] = col[i]!;
    }
    let p = j;
    for (let i = j + 1; i < n; i++) if (Math.abs(col[i]!) > Math.abs(col[p]!)) p = i;
    if (p !== j) {
      const t = lu[p]!;
      lu[p] = lu[j]!;
      lu[j] = t;
      const v = pivot[p]!;
      pivot[p] = pivot[j]!;
      pivot[j] = v;
    }
    const d = lu[j]![j]!;
    if (d !== 0) for (let i = j + 1; i < n; i++) lu[i]![j] = lu[i]![j]! / d;
  }
  for (let j = 0; j < n; j++) if (lu[j]![j] === 0) throw new Error('LU matrix is singular');
  const x = pivot.map((i) => b[i]!);
  for (let k = 0; k < n; k++) for (let i = k + 1; i < n; i++) x[i] = x[i]! - x[k]! * lu[i]![k]!;
  for (let k = n - 1; k >= 0; k--) {
    x[k] = x[k]! / lu[k]![k]!;
    for (let i = 0; i < k; i++) x[i] = x[i]! - x[k]! * lu[i]![k]!;
  }
  return x;
}
