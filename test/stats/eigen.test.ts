/**
 * src/stats/eigen.ts is an operation-for-operation port of the symmetric path of ml-matrix's
 * EigenvalueDecomposition: its eigenvalues and eigenvectors, and so omega's starting values and
 * fitOneFactor's whole output, must equal ml-matrix's to the bit.
 */
import fc from 'fast-check';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../src/stats/eigen.js';
import { type Mat, pinv } from '../../src/stats/matrix.js';
import { fitOneFactor, type OneFactorFit } from '../../src/stats/omega.js';
import { bitDiff, covariance, dataCovariance, flat, lcg, likertCorrelation, likertData, lowRank, real, reshape, withEdits } from '../helpers/matrices.js';

/** startingValues of src/stats/omega.ts as it was before eigen.ts (ml-matrix's EVD), kept verbatim as the reference. */
function startingValuesMlMatrix(s: Mat): { lambda: number[]; theta: number[] } {
  const p = s.length;
  const sInv = pinv(s);
  const theta = s.map((_, i) => Math.max((1 - 0.5 / p) / sInv[i]![i]!, 1e-6 * s[i]![i]!));
  const sc = theta.map((t) => 1 / Math.sqrt(t));
  const sStar = s.map((row, i) => row.map((v, j) => sc[i]! * v * sc[j]!));
  const eig = new EigenvalueDecomposition(new Matrix(sStar), { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  let top = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[top]!) top = i;
  const scale = Math.sqrt(Math.max(values[top]! - 1, 1e-6));
  const lambda = theta.map((t, i) => Math.sqrt(t) * eig.eigenvectorMatrix.get(i, top) * scale);
  return { lambda, theta };
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };
function attempt<T>(f: () => T): Outcome<T> {
  try {
    return { ok: true, value: f() };
  } catch (error) {
    return { ok: false, error };
  }
}

/**
 * Port vs ml-matrix on an n × n matrix (taken as symmetric; it need not be exactly): values and
 * vectors identical to the bit, or both throw (only a NaN reaching the QL iteration makes them).
 */
function expectEigenIdentical(rows: Mat): void {
  const n = rows.length;
  const ours = attempt(() => symmetricEigen(flat(rows), n));
  const theirs = attempt(() => new EigenvalueDecomposition(new Matrix(rows.map((r) => [...r])), { assumeSymmetric: true }));
  if (!theirs.ok) {
    expect(theirs.error).toBeInstanceOf(TypeError);
    expect(ours.ok).toBe(false);
    if (!ours.ok) expect(ours.error).toBeInstanceOf(TypeError);
    return;
  }
  if (!ours.ok) throw ours.error;
  expect(bitDiff('values', ours.value.values, theirs.value.realEigenvalues)).toBe('');
  expect(bitDiff('vectors', ours.value.vectors, flat(theirs.value.eigenvectorMatrix.to2DArray()))).toBe('');
}

/** Covariance with divisor N, as the reliability code gives fitOneFactor. */
function covarianceN(data: readonly (readonly number[])[]): number[][] {
  const n = data.length;
  return covariance(data).map((row) => row.map((v) => (v * (n - 1)) / n));
}

/** θ^-½ S θ^-½ computed as omega's startingValues does: generally not exactly symmetric. */
function omegaLikeScaled(s: Mat, theta: readonly number[]): number[][] {
  const sc = theta.map((t) => 1 / Math.sqrt(t));
  return s.map((row, i) => row.map((v, j) => sc[i]! * v * sc[j]!));
}

const size = fc.integer({ min: 1, max: 40 });
const smallInt = fc.integer({ min: -3, max: 3 });

/** A symmetric (or, for the omega-like family, nearly symmetric) n × n matrix from the listed families. */
const symmetricBase: fc.Arbitrary<number[][]> = size.chain((n) =>
  fc.oneof(
    // general symmetric: A + Aᵀ (negative entries, ±0, subnormals)
    fc.array(real, { minLength: n * n, maxLength: n * n }).map((xs) => {
      const a = reshape(xs, n, n);
      return a.map((row, i) => row.map((v, j) => v + a[j]![i]!));
    }),
    // small integers, symmetric: exact zeros, ties, repeated eigenvalues, frequent rank deficiency
    fc.array(smallInt, { minLength: n * n, maxLength: n * n }).map((xs) => {
      const a = reshape(xs, n, n);
      return a.map((row, i) => row.map((v, j) => (i <= j ? v : a[j]![i]!)));
    }),
    dataCovariance(n),
    lowRank(n),
    // diagonal with repeated, zero or negative entries
    fc.array(fc.oneof(real, fc.constantFrom(0, 1, 1, 2, -1)), { minLength: n, maxLength: n }).map((xs) =>
      xs.map((x, i) => Array.from({ length: n }, (_, j) => (i === j ? x : 0)))),
    // θ^-½ S θ^-½ as omega computes it from a covariance matrix (not exactly symmetric)
    fc.record({
      data: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: (n + 3) * n, maxLength: (n + 3) * n }),
      theta: fc.array(fc.double({ min: 0.01, max: 10, noNaN: true }), { minLength: n, maxLength: n }),
    }).map(({ data, theta }) => omegaLikeScaled(covariance(reshape(data, n + 3, n)), theta)),
  ));

/** Then maybe repeat, zero or negate some rows together with their columns (keeping symmetry), and rescale. */
const symmetric: fc.Arbitrary<number[][]> = withEdits(symmetricBase, true);

const identity = (n: number): number[][] => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
const diag = (xs: readonly number[]): number[][] => xs.map((x, i) => xs.map((_, j) => (i === j ? x : 0)));

/** fitOneFactor's full output, with the old (ml-matrix) starting values or, without `start`, its own. */
/** Returns whether the fit ran (rather than both paths throwing alike). */
function expectFitIdentical(s: Mat, opts: { maxIterations?: number } = {}): boolean {
  const ours = attempt(() => fitOneFactor(s, opts));
  const start = startingValuesMlMatrix(s);
  const theirs = attempt(() => fitOneFactor(s, { ...opts, start }));
  // Both fail alike (S not positive definite, or a start that does not evaluate, from which the
  // `start` path falls back to fitOneFactor's own, so equal starts fail equally), or neither does.
  if (!ours.ok || !theirs.ok) {
    expect(ours.ok).toBe(theirs.ok);
    if (!ours.ok && !theirs.ok) expect((ours.error as Error).message).toBe((theirs.error as Error).message);
    return false;
  }
  const a: OneFactorFit = ours.value;
  const b: OneFactorFit = theirs.value;
  expect(bitDiff('loadings', a.loadings, b.loadings)).toBe('');
  expect(bitDiff('uniquenesses', a.uniquenesses, b.uniquenesses)).toBe('');
  expect(bitDiff('omega, fmin', [a.omega, a.fmin], [b.omega, b.fmin])).toBe('');
  expect([a.heywood, a.converged, a.iterations]).toEqual([b.heywood, b.converged, b.iterations]);
  if (opts.maxIterations === 0) {
    // No steps: the output is the starting values themselves (loadings sign-flipped if they sum < 0).
    const sum = start.lambda.reduce((x, y) => x + y, 0);
    expect(bitDiff('start λ', a.loadings, sum < 0 ? start.lambda.map((l) => -l) : start.lambda)).toBe('');
    expect(bitDiff('start θ', a.uniquenesses, start.theta)).toBe('');
  }
  return true;
}

describe('eigen.ts: a bit-identical port of ml-matrix EigenvalueDecomposition (symmetric)', () => {
  it('fixed cases: 1 × 1, zeros, identity, repeated diagonal, reliability-sized correlations, rank-deficient covariance', () => {
    const cases: number[][][] = [
      [[0]], [[-0]], [[-3]], [[2.5]], [[1e-310]],
      Array.from({ length: 5 }, () => new Array<number>(5).fill(0)),
      identity(1), identity(2), identity(7),
      diag([2, 1, 2, 1, 3, 3, 0, -1, 2]),
      diag([0, 0, 5, 0]),
      [[1, -1], [-1, 1]],
      [[2, 1], [1, 2]],
      likertCorrelation(12, 200, 7),
      likertCorrelation(36, 300, 11),
      likertCorrelation(36, 30, 13), // fewer observations than items: singular
      covariance(likertData(10, 4, 17)), // rank 3
      covariance(likertData(36, 20, 19)), // rank ≤ 19
    ];
    for (const c of cases) expectEigenIdentical(c);
  });

  it('non-finite entries: the same values, or both throw (TypeError) when a NaN reaches the QL iteration', () => {
    const cases: number[][][] = [
      [[Number.NaN]], [[Number.POSITIVE_INFINITY]], [[Number.NEGATIVE_INFINITY]],
      [[1, Number.NaN], [Number.NaN, 1]],
      [[Number.POSITIVE_INFINITY, 1], [1, 2]],
      [[1, 2, 3], [2, Number.POSITIVE_INFINITY, 0], [3, 0, 1]],
      [[1, 0, 0], [0, 2, 0], [0, 0, Number.NaN]],
      [[Number.NaN, 0], [0, 1]],
    ];
    let threw = 0;
    for (const c of cases) {
      expectEigenIdentical(c);
      if (!attempt(() => symmetricEigen(flat(c), c.length)).ok) threw++;
    }
    expect(threw).toBeGreaterThan(0);
  });

  it('symmetric matrices of sizes 1..40: values and vectors identical to ml-matrix to the bit', () => {
    fc.assert(fc.property(symmetric, (a) => expectEigenIdentical(a)), { numRuns: 400 });
  });

  it('rejects bad shapes', () => {
    expect(() => symmetricEigen(new Float64Array(0), 0)).toThrow(RangeError);
    expect(() => symmetricEigen(new Float64Array(5), 2)).toThrow(RangeError);
  });
});

describe('fitOneFactor with eigen.ts gives what it gave with ml-matrix, to the bit', () => {
  it('fixed covariance matrices: 36 × 36 and 12 × 12 Likert, and smaller ones', () => {
    const mats: number[][][] = [
      covarianceN(likertData(36, 300, 11)),
      covarianceN(likertData(12, 200, 7)),
      covarianceN(likertData(12, 150, 23)),
      covarianceN(likertData(12, 80, 29)),
      covarianceN(likertData(3, 50, 31)),
      covarianceN(likertData(5, 40, 37)),
      covarianceN(likertData(8, 12, 41)), // few cases
    ];
    for (const s of mats) {
      expect(expectFitIdentical(s)).toBe(true);
      expect(expectFitIdentical(s, { maxIterations: 0 })).toBe(true);
    }
  });

  it('random covariance matrices (3..15 items, one-factor Likert or real data)', () => {
    const arb = fc.record({
      p: fc.integer({ min: 3, max: 15 }),
      extra: fc.integer({ min: 1, max: 60 }),
      seed: fc.integer({ min: 1, max: 2 ** 30 }),
      likert: fc.boolean(),
      scale: fc.constantFrom(1, 1e-6, 1e6),
    }).map(({ p, extra, seed, likert, scale }) => {
      const nObs = p + extra;
      const data = likert
        ? likertData(p, nObs, seed)
        : (() => {
          const rnd = lcg(seed);
          return Array.from({ length: nObs }, () => {
            const f = rnd() * 2 - 1;
            return Array.from({ length: p }, (_, j) => (j + 1) * f + rnd() * 3 - 1.5);
          });
        })();
      return covarianceN(data).map((r) => r.map((v) => v * scale));
    });
    let runs = 0;
    let fitted = 0;
    fc.assert(
      fc.property(arb, (s) => {
        runs++;
        if (expectFitIdentical(s)) fitted++;
        expectFitIdentical(s, { maxIterations: 0 });
      }),
      { numRuns: 80 },
    );
    expect(fitted).toBeGreaterThan(runs / 2);
  });
});
