/** Small matrix helpers over ml-matrix (the linear-algebra library rapport uses). Pure. */
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
 * well-conditioned matrix.
 */
export function pinv(m: Mat): number[][] {
  const svd = new SingularValueDecomposition(new Matrix(m.map((r) => [...r])), { autoTranspose: true });
  const d = svd.diagonal;
  const tol = Math.sqrt(Number.EPSILON) * (d[0] ?? 0);
  const U = svd.leftSingularVectors;
  const V = svd.rightSingularVectors;
  const n = m.length;
  const out = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let s = 0; s < d.length; s++) {
    if (!(d[s]! > Math.max(tol, 0))) continue;
    const inv = 1 / d[s]!;
    for (let i = 0; i < n; i++) {
      const vi = V.get(i, s) * inv;
      for (let j = 0; j < n; j++) out[i]![j]! += vi * U.get(j, s);
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
