/**
 * Matrices and comparisons shared by the tests of the decomposition ports (svd.test.ts,
 * eigen.test.ts): bit-level differences, data-made covariance and correlation matrices, and the
 * random edits their property tests apply.
 */
import fc from 'fast-check';
import type { Mat } from '../../src/stats/matrix.js';

const show = (x: number | undefined): string => (Object.is(x, -0) ? '-0' : String(x));

/** '' when a and b have the same length and Object.is-equal entries (so −0 ≠ +0), else where they differ. */
export function bitDiff(what: string, a: ArrayLike<number>, b: ArrayLike<number>): string {
  if (a.length !== b.length) return `${what}: length ${a.length} ≠ ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) return `${what}[${i}]: ${show(a[i])} ≠ ${show(b[i])}`;
  }
  return '';
}

export const flat = (m: Mat): Float64Array => Float64Array.from(m.flat());

export const reshape = (xs: readonly number[], m: number, n: number): number[][] =>
  Array.from({ length: m }, (_, i) => xs.slice(i * n, i * n + n));

/** Sample covariance (N − 1) of an N × p data matrix; rank ≤ N − 1, so rank-deficient when N ≤ p. */
export function covariance(data: readonly (readonly number[])[]): number[][] {
  const nObs = data.length;
  const p = data[0]!.length;
  const mean = Array.from({ length: p }, (_, j) => data.reduce((s, r) => s + r[j]!, 0) / nObs);
  return Array.from({ length: p }, (_, i) =>
    Array.from({ length: p }, (_, j) => data.reduce((s, r) => s + (r[i]! - mean[i]!) * (r[j]! - mean[j]!), 0) / (nObs - 1)));
}

/** Correlation matrix of a covariance matrix; a zero-variance variable gets a unit diagonal and zero correlations. */
export function cov2cor(c: Mat): number[][] {
  const sd = c.map((row, i) => Math.sqrt(row[i]!));
  return c.map((row, i) => row.map((v, j) => (i === j ? 1 : sd[i]! > 0 && sd[j]! > 0 ? v / (sd[i]! * sd[j]!) : 0)));
}

/** A deterministic LCG in [0, 1). */
export function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

/** Likert-like data: nObs rows of p items in 1..7 driven by one factor. */
export function likertData(p: number, nObs: number, seed: number): number[][] {
  const rnd = lcg(seed);
  return Array.from({ length: nObs }, () => {
    const f = rnd() * 4 - 2;
    return Array.from({ length: p }, () => Math.max(1, Math.min(7, Math.round(4 + f + (rnd() * 4 - 2)))));
  });
}

/** A reliability-run-like correlation matrix: p Likert items driven by one factor. */
export const likertCorrelation = (p: number, nObs: number, seed: number): number[][] => cov2cor(covariance(likertData(p, nObs, seed)));

/** Entries of random matrices. */
export const real = fc.double({ min: -1e3, max: 1e3, noNaN: true });

/** n × n covariance or correlation matrices of Likert-like or real data; N ≤ n gives rank deficiency. */
export function dataCovariance(n: number): fc.Arbitrary<number[][]> {
  return fc.record({
    nObs: fc.integer({ min: 2, max: 2 * n + 5 }),
    likert: fc.boolean(),
    cor: fc.boolean(),
  }).chain(({ nObs, likert, cor }) =>
    fc.array(likert ? fc.integer({ min: 1, max: 7 }) : fc.double({ min: -50, max: 50, noNaN: true }), {
      minLength: nObs * n,
      maxLength: nObs * n,
    }).map((xs) => {
      const c = covariance(reshape(xs, nObs, n));
      return cor ? cov2cor(c) : c;
    }));
}

/** n × n low-rank matrices B·Bᵀ (B is n × r, r may be 0). */
export function lowRank(n: number): fc.Arbitrary<number[][]> {
  return fc.integer({ min: 0, max: n }).chain((r) =>
    fc.array(real, { minLength: n * r, maxLength: n * r }).map((xs) => {
      const b = reshape(xs, n, r);
      return b.map((bi) => b.map((bj) => bi.reduce((s, x, t) => s + x * bj[t]!, 0)));
    }));
}

/**
 * Square matrices from `base`, then maybe some rows repeated or zeroed (with the matching columns,
 * keeping symmetry where there was some) or negated (with the column too when `negateColumn`, so a
 * symmetric matrix stays symmetric), and rescaled by −1 or 1e±8, 1e±100.
 */
export function withEdits(base: fc.Arbitrary<number[][]>, negateColumn: boolean): fc.Arbitrary<number[][]> {
  return fc.record({
    base,
    edits: fc.array(fc.record({ kind: fc.constantFrom('repeat', 'zero', 'negate'), i: fc.nat(), j: fc.nat() }), { maxLength: 4 }),
    scale: fc.constantFrom(1, 1, 1, -1, 1e-100, 1e-8, 1e8, 1e100),
  }).map(({ base: b, edits, scale }) => {
    const n = b.length;
    const a = b.map((r) => [...r]);
    for (const { kind, i: i0, j: j0 } of edits) {
      const i = i0 % n;
      const j = j0 % n;
      if (kind === 'repeat') {
        a[j] = [...a[i]!];
        for (const row of a) row[j] = row[i]!;
      } else if (kind === 'zero') {
        a[i] = new Array<number>(n).fill(0);
        for (const row of a) row[i] = 0;
      } else {
        a[i] = a[i]!.map((x) => -x);
        if (negateColumn) for (const row of a) row[i] = -row[i]!;
      }
    }
    return scale === 1 ? a : a.map((r) => r.map((x) => x * scale));
  });
}
