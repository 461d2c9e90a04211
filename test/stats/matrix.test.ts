/** The plain-array Cholesky and LU of src/stats/matrix.ts give ml-matrix's results to the bit. */
import { CholeskyDecomposition, LuDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { cholesky, choleskyInverse, luSolve } from '../../src/stats/matrix.js';

let seed = 11;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;

/** A random symmetric positive definite p × p matrix (B B' + p I). */
function spd(p: number): number[][] {
  const b = Array.from({ length: p }, () => Array.from({ length: p }, rnd));
  return b.map((bi, i) => b.map((bj, j) => bi.reduce((s, x, t) => s + x * bj[t]!, 0) + (i === j ? p * 0.1 : 0)));
}

describe('small dense linear algebra without ml-matrix objects', () => {
  it('cholesky and choleskyInverse equal ml-matrix CholeskyDecomposition and solve(I) exactly', () => {
    for (const p of [1, 2, 5, 12, 24]) {
      const a = spd(p);
      const ours = cholesky(a);
      const theirs = new CholeskyDecomposition(new Matrix(a));
      expect(ours.positiveDefinite).toBe(true);
      expect(ours.l).toEqual(theirs.lowerTriangularMatrix.to2DArray());
      expect(choleskyInverse(ours.l)).toEqual(theirs.solve(Matrix.eye(p)).to2DArray());
    }
  });

  it('cholesky reports a matrix that is not positive definite', () => {
    expect(cholesky([[1, 2], [2, 1]]).positiveDefinite).toBe(false);
    expect(new CholeskyDecomposition(new Matrix([[1, 2], [2, 1]])).isPositiveDefinite()).toBe(false);
  });

  it('luSolve equals ml-matrix LuDecomposition.solve exactly, pivoting included', () => {
    for (const p of [1, 3, 8, 24]) {
      const a = Array.from({ length: p }, () => Array.from({ length: p }, rnd));
      const b = Array.from({ length: p }, rnd);
      expect(luSolve(a, b)).toEqual(new LuDecomposition(new Matrix(a)).solve(Matrix.columnVector(b)).to1DArray());
    }
  });

  it('luSolve refuses a singular matrix, as ml-matrix does', () => {
    expect(() => luSolve([[1, 2], [2, 4]], [1, 1])).toThrow(/singular/);
  });
});
