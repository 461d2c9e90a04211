/**
 * Eigen-decomposition A = V·diag(values)·Vᵀ of a real symmetric n × n matrix, on flat Float64Array
 * storage.
 *
 * This is an operation-for-operation port of the symmetric path of `EigenvalueDecomposition` from
 * the npm package ml-matrix 6.15.1 (itself derived from JAMA, the public-domain Java matrix
 * package): `new EigenvalueDecomposition(A, { assumeSymmetric: true })`, i.e. Householder
 * tridiagonalisation (`tred2`) followed by the implicit QL iteration (`tql2`), which also sorts the
 * eigenvalues ascending. Every floating-point operation is done in the same order, on the same
 * operands, with the same constants and convergence tests (ml-matrix's `hypotenuse`, its `0 + x`
 * sums, `x -= y` as `x = x - y`, written as it writes them), so the eigenvalues and eigenvectors
 * are bit-for-bit identical to ml-matrix's `realEigenvalues` and `eigenvectorMatrix`;
 * test/stats/eigen.test.ts checks this on random matrices. Like ml-matrix 6.15.1, the working
 * matrix is held transposed (it starts as Aᵀ, read there as ml-matrix reads it, so a matrix that is
 * not exactly symmetric gives the same result too) and is transposed back at the end. Only the
 * shape of the code differs: plain Float64Array indexing instead of `get`/`set`, inner loops in
 * small helpers.
 *
 * One behaviour is deliberately not copied: when a NaN reaches the QL iteration (from a NaN or
 * infinite entry), ml-matrix's search for a negligible off-diagonal element runs off the end and it
 * throws a TypeError reading row n of its eigenvector matrix; flat storage would read `undefined`
 * there and carry on, so this port throws a TypeError at that same point instead (with a message
 * that says why). For every input either both throw or both return the same bits.
 *
 * Why: ml-matrix reads and writes its matrices through `get`/`set` methods in the inner loops. A
 * reliability run computes its few decompositions once per process (omega's starting values), so
 * the code runs mostly before V8 has optimized it, where those calls dominate. Measured in fresh
 * node 20 processes (noisy 2-core VM, 25 alternating runs), the first four decompositions of
 * omega-like 36 × 36 and 12 × 12 matrices took a median ~49 ms through ml-matrix and ~19 ms through
 * this port (minimum 30 vs 14 ms); the first fitOneFactor calls on such covariance matrices, a
 * median ~203 vs ~179 ms. And ./omega.ts no longer imports ml-matrix: importing it went from a
 * median ~74 ms to ~9 ms (minimum 56 vs 6 ms).
 *
 * ml-matrix is MIT-licensed; its notice, which the license asks to keep with this port, is in
 * ./svd.ts (the port of its SVD).
 *
 * Do not "simplify" the arithmetic below (e.g. start a sum from its first term instead of 0, fuse
 * `-s * s2 * c3 * el1 * e[l]` differently, or reorder sums): bit-identity with ml-matrix depends
 * on it.
 */
import { hypotenuse, swapRows, transposeSquareInPlace } from './svd.js';

/** The decomposition: values ascending; vectors row-major n × n, column j the eigenvector of values[j]. */
export interface SymmetricEigen {
  values: Float64Array;
  vectors: Float64Array;
}


// The inner loops are small module-level functions rather than inline: V8 optimizes a small hot
// function within a few calls, whereas one big function gets on-stack-replaced and deoptimized
// repeatedly as execution reaches code it has no type feedback for yet (see ./svd.ts). Each helper
// does its loop's operations in ml-matrix's order, so the arithmetic is unchanged. W is the working
// matrix: W[r * n + c] is what ml-matrix reads as V.get(r, c).

/** scale = 0; scale = scale + |d[k]| for k = 0 … i − 1. */
function absSum(d: Float64Array, i: number): number {
  let scale = 0;
  for (let k = 0; k < i; k++) scale = scale + Math.abs(d[k]!);
  return scale;
}

/** h = 0; for k = 0 … i − 1: d[k] = d[k] / scale, h = h + d[k]·d[k]. */
function scaleAndSquares(d: Float64Array, i: number, scale: number): number {
  let h = 0;
  for (let k = 0; k < i; k++) {
    d[k] = d[k]! / scale;
    h = h + d[k]! * d[k]!;
  }
  return h;
}

/**
 * Row j of tred2's W·d product: g = e[j] + W(j, j)·f, then for k = j + 1 … i − 1:
 * g = g + W(j, k)·d[k], e[k] = e[k] + W(j, k)·f. Returns g.
 */
function rowProduct(W: Float64Array, jo: number, j: number, i: number, d: Float64Array, e: Float64Array, f: number): number {
  let g = e[j]! + W[jo + j]! * f;
  for (let k = j + 1; k <= i - 1; k++) {
    g = g + W[jo + k]! * d[k]!;
    e[k] = e[k]! + W[jo + k]! * f;
  }
  return g;
}

/** f = 0; for j = 0 … i − 1: e[j] = e[j] / h, f = f + e[j]·d[j]. Returns f. */
function divideAndDot(e: Float64Array, d: Float64Array, i: number, h: number): number {
  let f = 0;
  for (let j = 0; j < i; j++) {
    e[j] = e[j]! / h;
    f = f + e[j]! * d[j]!;
  }
  return f;
}

/** e[j] = e[j] − hh·d[j] for j = 0 … i − 1. */
function subtractScaled(e: Float64Array, d: Float64Array, i: number, hh: number): void {
  for (let j = 0; j < i; j++) e[j] = e[j]! - hh * d[j]!;
}

/** W(j, k) = W(j, k) − (f·e[k] + g·d[k]) for k = j … i − 1 (row offset jo). */
function rankTwoUpdate(W: Float64Array, jo: number, j: number, i: number, f: number, e: Float64Array, g: number, d: Float64Array): void {
  for (let k = j; k <= i - 1; k++) W[jo + k] = W[jo + k]! - (f * e[k]! + g * d[k]!);
}

/** d[k] = x[o + k] / h for k = 0 … len − 1. */
function divideInto(d: Float64Array, x: Float64Array, o: number, h: number, len: number): void {
  for (let k = 0; k < len; k++) d[k] = x[o + k]! / h;
}

/** g = 0; g = g + x[ao + k]·x[bo + k] for k = 0 … len − 1. */
function rowDot(x: Float64Array, ao: number, bo: number, len: number): number {
  let g = 0;
  for (let k = 0; k < len; k++) g = g + x[ao + k]! * x[bo + k]!;
  return g;
}

/** x[o + k] = x[o + k] − g·d[k] for k = 0 … len − 1. */
function subtractScaledInto(x: Float64Array, o: number, g: number, d: Float64Array, len: number): void {
  for (let k = 0; k < len; k++) x[o + k] = x[o + k]! - g * d[k]!;
}

/** tql2's rotation of rows i (offset io) and i + 1 (offset i1o): h = W(i+1, k); W(i+1, k) = s·W(i, k) + c·h; W(i, k) = c·W(i, k) − s·h. */
function rotate(W: Float64Array, io: number, i1o: number, n: number, c: number, s: number): void {
  for (let k = 0; k < n; k++) {
    const h = W[i1o + k]!;
    W[i1o + k] = s * W[io + k]! + c * h;
    W[io + k] = c * W[io + k]! - s * h;
  }
}

/**
 * Eigenvalues and eigenvectors of the n × n row-major matrix `a` (not modified), taken as
 * symmetric, n ≥ 1. Bit-identical to `new EigenvalueDecomposition(A, { assumeSymmetric: true })`
 * of ml-matrix 6.15.1: `values` are its `realEigenvalues` (ascending) and `vectors[i * n + j]` is
 * its `eigenvectorMatrix.get(i, j)`.
 */
export function symmetricEigen(a: Float64Array, n: number): SymmetricEigen {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`symmetricEigen needs n ≥ 1, got ${n}`);
  if (a.length !== n * n) throw new RangeError(`symmetricEigen: expected ${n * n} entries, got ${a.length}`);

  // W = Aᵀ, as ml-matrix's V.set(j, i, A(i, j)).
  const W = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const io = i * n;
    for (let j = 0; j < n; j++) W[j * n + i] = a[io + j]!;
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  tred2(n, e, d, W);
  tql2(n, e, d, W);
  transposeSquareInPlace(W, n);
  return { values: d, vectors: W };
}

/** Householder reduction to tridiagonal form (diagonal into d, subdiagonal into e), accumulating the transformations in W. */
function tred2(n: number, e: Float64Array, d: Float64Array, W: Float64Array): void {
  let f: number;
  let g: number;
  let h: number;
  let hh: number;
  let scale: number;

  for (let j = 0; j < n; j++) {
    d[j] = W[j * n + n - 1]!;
  }

  for (let i = n - 1; i > 0; i--) {
    const io = i * n;
    h = 0;
    scale = absSum(d, i);

    if (scale === 0) {
      e[i] = d[i - 1]!;
      for (let j = 0; j < i; j++) {
        d[j] = W[j * n + i - 1]!;
        W[j * n + i] = 0;
        W[io + j] = 0;
      }
    } else {
      h = scaleAndSquares(d, i, scale);

      f = d[i - 1]!;
      g = Math.sqrt(h);
      if (f > 0) {
        g = -g;
      }

      e[i] = scale * g;
      h = h - f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) {
        e[j] = 0;
      }

      for (let j = 0; j < i; j++) {
        f = d[j]!;
        W[io + j] = f;
        e[j] = rowProduct(W, j * n, j, i, d, e, f);
      }

      f = divideAndDot(e, d, i, h);

      hh = f / (h + h);
      subtractScaled(e, d, i, hh);

      for (let j = 0; j < i; j++) {
        const jo = j * n;
        f = d[j]!;
        g = e[j]!;
        rankTwoUpdate(W, jo, j, i, f, e, g, d);
        d[j] = W[jo + i - 1]!;
        W[jo + i] = 0;
      }
    }
    d[i] = h;
  }

  for (let i = 0; i < n - 1; i++) {
    const io = i * n;
    const i1o = (i + 1) * n;
    W[io + n - 1] = W[io + i]!;
    W[io + i] = 1;
    h = d[i + 1]!;
    if (h !== 0) {
      divideInto(d, W, i1o, h, i + 1);

      for (let j = 0; j <= i; j++) {
        const jo = j * n;
        g = rowDot(W, i1o, jo, i + 1);
        subtractScaledInto(W, jo, g, d, i + 1);
      }
    }

    for (let k = 0; k <= i; k++) {
      W[i1o + k] = 0;
    }
  }

  for (let j = 0; j < n; j++) {
    d[j] = W[j * n + n - 1]!;
    W[j * n + n - 1] = 0;
  }

  W[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/** Implicit QL iteration on the tridiagonal (d, e), applying the rotations to W; then eigenvalues sorted ascending. */
function tql2(n: number, e: Float64Array, d: Float64Array, W: Float64Array): void {
  let g: number;
  let h: number;
  let p: number;
  let r: number;
  let dl1: number;
  let c: number;
  let c2: number;
  let c3: number;
  let el1: number;
  let s: number;
  let s2: number;

  for (let i = 1; i < n; i++) {
    e[i - 1] = e[i]!;
  }

  e[n - 1] = 0;

  let f = 0;
  let tst1 = 0;
  const eps = Number.EPSILON;

  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]!) <= eps * tst1) {
        break;
      }
      m++;
    }

    if (m > l) {
      if (m === n) {
        // Only a NaN in d or e gets here (e[n − 1] stays 0 otherwise). ml-matrix goes on to read
        // its V.get(n, 0), past the last row, and throws; so do we, before touching anything.
        throw new TypeError('symmetricEigen: NaN in the QL iteration (the matrix has a NaN or infinite entry); ml-matrix 6.15.1 fails here too');
      }
      do {
        g = d[l]!;
        p = (d[l + 1]! - g) / (2 * e[l]!);
        r = hypotenuse(p, 1);
        if (p < 0) {
          r = -r;
        }

        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        dl1 = d[l + 1]!;
        h = g - d[l]!;
        for (let i = l + 2; i < n; i++) {
          d[i] = d[i]! - h;
        }

        f = f + h;

        p = d[m]!;
        c = 1;
        c2 = c;
        c3 = c;
        el1 = e[l + 1]!;
        s = 0;
        s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = hypotenuse(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);

          rotate(W, i * n, (i + 1) * n, n, c, s);
        }

        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }

  for (let i = 0; i < n - 1; i++) {
    let k = i;
    p = d[i]!;
    for (let j = i + 1; j < n; j++) {
      if (d[j]! < p) {
        k = j;
        p = d[j]!;
      }
    }

    if (k !== i) {
      d[k] = d[i]!;
      d[i] = p;
      swapRows(W, i * n, k * n, n);
    }
  }
}
