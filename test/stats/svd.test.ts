/**
 * src/stats/svd.ts is an operation-for-operation port of ml-matrix's SingularValueDecomposition:
 * its singular values and vectors, and so pinv's output, must equal ml-matrix's to the bit.
 */
import fc from 'fast-check';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { type Mat, pinv } from '../../src/stats/matrix.js';
import { svd, svdSquare } from '../../src/stats/svd.js';
import { bitDiff, dataCovariance, flat, likertCorrelation, lowRank, real, reshape, withEdits } from '../helpers/matrices.js';

/** pinv as it was before svd.ts (ml-matrix's SVD), kept verbatim as the reference. */
function pinvMlMatrix(m: Mat): number[][] {
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

/** Port vs ml-matrix on an m × n matrix (m ≥ n): d, U, V identical to the bit. */
function expectSvdIdentical(rows: Mat): void {
  const m = rows.length;
  const n = rows[0]!.length;
  const ours = m === n ? svdSquare(flat(rows), n) : svd(flat(rows), m, n);
  const theirs = new SingularValueDecomposition(new Matrix(rows.map((r) => [...r])), { autoTranspose: true });
  expect(bitDiff('d', ours.d, theirs.diagonal)).toBe('');
  expect(bitDiff('U', ours.u, flat(theirs.leftSingularVectors.to2DArray()))).toBe('');
  expect(bitDiff('V', ours.v, flat(theirs.rightSingularVectors.to2DArray()))).toBe('');
}

function expectPinvIdentical(rows: Mat): void {
  expect(bitDiff('pinv', flat(pinv(rows)), flat(pinvMlMatrix(rows)))).toBe('');
}

const size = fc.integer({ min: 1, max: 40 });
const smallInt = fc.integer({ min: -3, max: 3 });

/** A square n × n matrix from the listed families. */
const squareBase: fc.Arbitrary<number[][]> = size.chain((n) =>
  fc.oneof(
    // general real matrices, negative entries, ±0, subnormals
    fc.array(real, { minLength: n * n, maxLength: n * n }).map((xs) => reshape(xs, n, n)),
    // small integers: exact zeros, ties, frequent rank deficiency
    fc.array(smallInt, { minLength: n * n, maxLength: n * n }).map((xs) => reshape(xs, n, n)),
    // symmetric: A + Aᵀ
    fc.array(real, { minLength: n * n, maxLength: n * n }).map((xs) => {
      const a = reshape(xs, n, n);
      return a.map((row, i) => row.map((v, j) => v + a[j]![i]!));
    }),
    dataCovariance(n),
    lowRank(n),
    // diagonal, possibly with zero or negative entries
    fc.array(fc.oneof(real, fc.constant(0)), { minLength: n, maxLength: n }).map((xs) =>
      xs.map((x, i) => Array.from({ length: n }, (_, j) => (i === j ? x : 0)))),
  ));

/** Then maybe repeat or zero some rows (and the matching columns), or negate a row, and rescale. */
const square: fc.Arbitrary<number[][]> = withEdits(squareBase, false);

/** Tall m × n (m > n) matrices for svd's non-square path. */
const tall: fc.Arbitrary<number[][]> = fc.record({ n: fc.integer({ min: 1, max: 20 }), extra: fc.integer({ min: 1, max: 20 }), ints: fc.boolean() })
  .chain(({ n, extra, ints }) =>
    fc.array(ints ? smallInt : real, { minLength: (n + extra) * n, maxLength: (n + extra) * n }).map((xs) => reshape(xs, n + extra, n)));


describe('svd.ts: a bit-identical port of ml-matrix SingularValueDecomposition', () => {
  it('fixed cases: 1 × 1 (0, −0, negative), zero, identity, duplicated rows, reliability-sized correlations', () => {
    const cases: number[][][] = [
      [[0]], [[-0]], [[-3]], [[2.5]],
      Array.from({ length: 5 }, () => new Array<number>(5).fill(0)),
      Array.from({ length: 7 }, (_, i) => Array.from({ length: 7 }, (_, j) => (i === j ? 1 : 0))),
      [[1, 2, 3], [1, 2, 3], [4, 5, 6]],
      [[1, -1], [-1, 1]],
      likertCorrelation(12, 200, 7),
      likertCorrelation(36, 300, 11),
      likertCorrelation(36, 30, 13), // fewer observations than items: singular
    ];
    for (const c of cases) {
      expectSvdIdentical(c);
      expectPinvIdentical(c);
    }
  });

  it('square matrices of sizes 1..40: d, U, V and pinv identical to ml-matrix to the bit', () => {
    fc.assert(
      fc.property(square, (a) => {
        expectSvdIdentical(a);
        expectPinvIdentical(a);
      }),
      { numRuns: 400 },
    );
  });

  it('tall matrices (rows > columns): d, U, V identical to ml-matrix to the bit', () => {
    fc.assert(fc.property(tall, (a) => expectSvdIdentical(a)), { numRuns: 150 });
  });

  it('rejects shapes outside its path', () => {
    expect(() => svd(new Float64Array(6), 2, 3)).toThrow(RangeError);
    expect(() => svdSquare(new Float64Array(0), 0)).toThrow(RangeError);
    expect(() => pinv([[1, 2]])).toThrow(RangeError);
  });
});
