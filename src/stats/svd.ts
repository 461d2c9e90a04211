/**
 * Singular value decomposition A = U·diag(d)·Vᵀ of a dense m × n matrix with m ≥ n, on flat
 * Float64Array storage.
 *
 * This is an operation-for-operation port of `SingularValueDecomposition` from the npm package
 * ml-matrix 6.15.1 (itself derived from JAMA, the public-domain Java matrix package), restricted to
 * the path `pinv` in ./matrix.ts uses: rows ≥ columns (so `autoTranspose: true` never transposes),
 * both singular-vector sets computed. Every floating-point operation is done in the same order,
 * on the same operands, with the same constants and convergence tests (ml-matrix's `hypotenuse`,
 * its `Number.MIN_VALUE` guards, its `0 - x` negations, written as it writes them), so d, U and V
 * are bit-for-bit identical to ml-matrix's `diagonal`, `leftSingularVectors` and
 * `rightSingularVectors`; test/stats/svd.test.ts checks this on random matrices. Like ml-matrix
 * 6.15.1, the working matrix, U and V are held transposed while computing (so the inner loops run
 * along contiguous memory) and U, V are transposed back at the end. Only the shape of the code
 * differs: plain Float64Array indexing instead of `get`/`set`, inner loops in small helpers.
 *
 * Why: ml-matrix reads and writes its matrices through `get`/`set` methods in the inner loops. A
 * reliability run computes its few pseudo-inverses once per process, so the code runs mostly
 * before V8 has optimized it, where those calls dominate. Measured in fresh node 20 processes, 8
 * pseudo-inverses of 36 × 36 and 12 × 12 correlation matrices (pinv in ./matrix.ts) took a median
 * ~105 ms through ml-matrix and ~39 ms through this port (minimum 74 vs 31 ms, noisy 2-core VM).
 *
 * ml-matrix is MIT-licensed; its notice, as the license asks (it covers ./eigen.ts, the port of its
 * eigen-decomposition, too):
 *
 *   The MIT License (MIT)
 *
 *   Copyright (c) 2014 Michaël Zasso
 *
 *   Permission is hereby granted, free of charge, to any person obtaining a copy
 *   of this software and associated documentation files (the "Software"), to deal
 *   in the Software without restriction, including without limitation the rights
 *   to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 *   copies of the Software, and to permit persons to whom the Software is
 *   furnished to do so, subject to the following conditions:
 *
 *   The above copyright notice and this permission notice shall be included in all
 *   copies or substantial portions of the Software.
 *
 *   THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 *   IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 *   FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 *   AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 *   LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 *   OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 *   SOFTWARE.
 *
 * Do not "simplify" the arithmetic below (e.g. `0 - x` to `-x`, `-t / x` to `-(t / x)`, or
 * reordering sums): bit-identity with ml-matrix depends on it.
 */

/** The decomposition: d has n entries (descending, ≥ 0); u is m × n and v is n × n, both row-major. */
export interface Svd {
  d: Float64Array;
  u: Float64Array;
  v: Float64Array;
}

/** sqrt(a² + b²) without under/overflow, exactly as ml-matrix's `hypotenuse` (./eigen.ts uses it too). */
export function hypotenuse(a: number, b: number): number {
  let r = 0;
  if (Math.abs(a) > Math.abs(b)) {
    r = b / a;
    return Math.abs(a) * Math.sqrt(1 + r * r);
  }
  if (b !== 0) {
    r = a / b;
    return Math.abs(b) * Math.sqrt(1 + r * r);
  }
  return 0;
}

// The inner loops are small module-level functions rather than inline: V8 optimizes a small hot
// function within a few calls, whereas one big function gets on-stack-replaced and deoptimized
// repeatedly as execution reaches code it has no type feedback for yet (measured: the single-function
// version of this port was barely faster cold than ml-matrix). Each helper does its loop's
// operations in ml-matrix's order, so the arithmetic is unchanged.

/** r = 0; r = hypotenuse(r, x[o + i]) for i = from … to − 1. */
function norm(x: Float64Array, o: number, from: number, to: number): number {
  let r = 0;
  for (let i = from; i < to; i++) r = hypotenuse(r, x[o + i]!);
  return r;
}

/** Σ x[xo + i] · y[yo + i] for i = from … to − 1, summed from 0 in increasing i. */
function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, from: number, to: number): number {
  let t = 0;
  for (let i = from; i < to; i++) t += x[xo + i]! * y[yo + i]!;
  return t;
}

/** y[yo + i] = y[yo + i] + t · x[xo + i] for i = from … to − 1. */
function axpy(y: Float64Array, yo: number, t: number, x: Float64Array, xo: number, from: number, to: number): void {
  for (let i = from; i < to; i++) y[yo + i] = y[yo + i]! + t * x[xo + i]!;
}

/** x[o + i] = x[o + i] / d for i = from … to − 1. */
function divide(x: Float64Array, o: number, d: number, from: number, to: number): void {
  for (let i = from; i < to; i++) x[o + i] = x[o + i]! / d;
}

/** x[o + i] = −x[o + i] for i = from … to − 1. */
function negate(x: Float64Array, o: number, from: number, to: number): void {
  for (let i = from; i < to; i++) x[o + i] = -x[o + i]!;
}

/** Givens rotation of rows a and b (offsets ao, bo) over len entries: a' = cs·a + sn·b, b' = −sn·a + cs·b. */
function rotate(x: Float64Array, ao: number, bo: number, len: number, cs: number, sn: number): void {
  for (let i = 0; i < len; i++) {
    const xa = x[ao + i]!;
    const xb = x[bo + i]!;
    x[bo + i] = -sn * xa + cs * xb;
    x[ao + i] = cs * xa + sn * xb;
  }
}

/** Swap rows at offsets ao and bo over len entries (./eigen.ts uses it too). */
export function swapRows(x: Float64Array, ao: number, bo: number, len: number): void {
  for (let i = 0; i < len; i++) {
    const t = x[bo + i]!;
    x[bo + i] = x[ao + i]!;
    x[ao + i] = t;
  }
}

/**
 * SVD of the m × n row-major matrix `a` (not modified), m ≥ n ≥ 1. Bit-identical to
 * `new SingularValueDecomposition(A, { autoTranspose: true })` of ml-matrix 6.15.1.
 */
export function svd(a: Float64Array, m: number, n: number): Svd {
  if (!(Number.isInteger(m) && Number.isInteger(n)) || n < 1 || m < n) {
    throw new RangeError(`svd needs rows ≥ columns ≥ 1, got ${m} × ${n}`);
  }
  if (a.length !== m * n) throw new RangeError(`svd: expected ${m * n} entries, got ${a.length}`);

  // at = Aᵀ (n × m, row-major): at[j*m + i] = A(i, j).
  const at = new Float64Array(n * m);
  for (let i = 0; i < m; i++) {
    const ai = i * n;
    for (let j = 0; j < n; j++) at[j * m + i] = a[ai + j]!;
  }

  const nu = Math.min(m, n);
  const ni = Math.min(m + 1, n);
  const s = new Float64Array(ni);
  // U (nu × m) and V (n × n) are held transposed until the end: U[j*m + i] = U(i, j), V[j*n + i] = V(i, j).
  const U = new Float64Array(nu * m);
  const V = new Float64Array(n * n);
  const e = new Float64Array(n);
  const work = new Float64Array(m);

  const nct = Math.min(m - 1, n);
  const nrt = Math.max(0, Math.min(n - 2, m));
  const p = bidiagonalize(at, m, n, s, e, U, V, work, nct, nrt);
  generateU(U, m, nu, s, nct);
  generateV(V, n, e, nrt);
  diagonalize(U, V, m, n, s, e, p);

  // Back to the logical row-major layout: u is m × nu, v is n × n.
  let u: Float64Array;
  if (nu === m) {
    u = U;
    transposeSquareInPlace(u, m);
  } else {
    u = new Float64Array(m * nu);
    for (let j = 0; j < nu; j++) {
      const jo = j * m;
      for (let i = 0; i < m; i++) u[i * nu + j] = U[jo + i]!;
    }
  }
  transposeSquareInPlace(V, n);
  return { d: s, u, v: V };
}

/** SVD of the n × n row-major matrix `a`; see {@link svd}. */
export function svdSquare(a: Float64Array, n: number): Svd {
  return svd(a, n, n);
}

/**
 * Householder reduction to bidiagonal form: the diagonal into s, the superdiagonal into e, the
 * Householder vectors into U and V (transposed). Returns p, the order of the bidiagonal matrix.
 */
function bidiagonalize(
  at: Float64Array, m: number, n: number, s: Float64Array, e: Float64Array,
  U: Float64Array, V: Float64Array, work: Float64Array, nct: number, nrt: number,
): number {
  const mrc = Math.max(nct, nrt);
  for (let k = 0; k < mrc; k++) {
    const ko = k * m;
    if (k < nct) {
      s[k] = norm(at, ko, k, m);
      if (s[k] !== 0) {
        if (at[ko + k]! < 0) {
          s[k] = -s[k]!;
        }
        divide(at, ko, s[k]!, k, m);
        at[ko + k] = at[ko + k]! + 1;
      }
      s[k] = -s[k]!;
    }

    for (let j = k + 1; j < n; j++) {
      const jo = j * m;
      if (k < nct && s[k] !== 0) {
        let t = dot(at, ko, at, jo, k, m);
        t = -t / at[ko + k]!;
        axpy(at, jo, t, at, ko, k, m);
      }
      e[j] = at[jo + k]!;
    }

    if (k < nct) {
      for (let i = k; i < m; i++) U[ko + i] = at[ko + i]!;
    }

    if (k < nrt) {
      e[k] = norm(e, 0, k + 1, n);
      if (e[k] !== 0) {
        if (e[k + 1]! < 0) {
          e[k] = 0 - e[k]!;
        }
        divide(e, 0, e[k]!, k + 1, n);
        e[k + 1] = e[k + 1]! + 1;
      }
      e[k] = -e[k]!;
      if (k + 1 < m && e[k] !== 0) {
        for (let i = k + 1; i < m; i++) work[i] = 0;
        // ml-matrix runs i outside and j inside; each work[i] still takes its terms in increasing j.
        for (let j = k + 1; j < n; j++) axpy(work, 0, e[j]!, at, j * m, k + 1, m);
        for (let j = k + 1; j < n; j++) {
          const t = -e[j]! / e[k + 1]!;
          axpy(at, j * m, t, work, 0, k + 1, m);
        }
      }
      const kv = k * n;
      for (let i = k + 1; i < n; i++) V[kv + i] = e[i]!;
    }
  }

  const p = Math.min(n, m + 1);
  if (nct < n) {
    s[nct] = at[nct * m + nct]!;
  }
  if (m < p) {
    s[p - 1] = 0;
  }
  if (nrt + 1 < p) {
    e[nrt] = at[(p - 1) * m + nrt]!;
  }
  e[p - 1] = 0;
  return p;
}

/** Accumulate the left Householder vectors into U (nu × m, transposed). */
function generateU(U: Float64Array, m: number, nu: number, s: Float64Array, nct: number): void {
  for (let j = nct; j < nu; j++) {
    const jo = j * m;
    for (let i = 0; i < m; i++) U[jo + i] = 0;
    U[jo + j] = 1;
  }
  for (let k = nct - 1; k >= 0; k--) {
    const ko = k * m;
    if (s[k] !== 0) {
      for (let j = k + 1; j < nu; j++) {
        const jo = j * m;
        let t = dot(U, ko, U, jo, k, m);
        t = -t / U[ko + k]!;
        axpy(U, jo, t, U, ko, k, m);
      }
      negate(U, ko, k, m);
      U[ko + k] = 1 + U[ko + k]!;
      for (let i = 0; i < k - 1; i++) U[ko + i] = 0;
    } else {
      for (let i = 0; i < m; i++) U[ko + i] = 0;
      U[ko + k] = 1;
    }
  }
}

/** Accumulate the right Householder vectors into V (n × n, transposed). */
function generateV(V: Float64Array, n: number, e: Float64Array, nrt: number): void {
  for (let k = n - 1; k >= 0; k--) {
    const ko = k * n;
    if (k < nrt && e[k] !== 0) {
      for (let j = k + 1; j < n; j++) {
        const jo = j * n;
        let t = dot(V, ko, V, jo, k + 1, n);
        t = -t / V[ko + k + 1]!;
        axpy(V, jo, t, V, ko, k + 1, n);
      }
    }
    for (let i = 0; i < n; i++) V[ko + i] = 0;
    V[ko + k] = 1;
  }
}

/** Implicit-shift QR iteration on the bidiagonal (s, e), applying the rotations to U and V (transposed). */
function diagonalize(U: Float64Array, V: Float64Array, m: number, n: number, s: Float64Array, e: Float64Array, p: number): void {
  const pp = p - 1;
  const eps = Number.EPSILON;
  while (p > 0) {
    let k: number;
    let kase: number;
    for (k = p - 2; k >= -1; k--) {
      if (k === -1) {
        break;
      }
      const alpha = Number.MIN_VALUE + eps * Math.abs(s[k]! + Math.abs(s[k + 1]!));
      if (Math.abs(e[k]!) <= alpha || Number.isNaN(e[k])) {
        e[k] = 0;
        break;
      }
    }
    if (k === p - 2) {
      kase = 4;
    } else {
      let ks: number;
      for (ks = p - 1; ks >= k; ks--) {
        if (ks === k) {
          break;
        }
        const t = (ks !== p ? Math.abs(e[ks]!) : 0) + (ks !== k + 1 ? Math.abs(e[ks - 1]!) : 0);
        if (Math.abs(s[ks]!) <= eps * t) {
          s[ks] = 0;
          break;
        }
      }
      if (ks === k) {
        kase = 3;
      } else if (ks === p - 1) {
        kase = 1;
      } else {
        kase = 2;
        k = ks;
      }
    }

    k++;

    switch (kase) {
      // Deflate negligible s(p).
      case 1: {
        let f = e[p - 2]!;
        e[p - 2] = 0;
        for (let j = p - 2; j >= k; j--) {
          const t = hypotenuse(s[j]!, f);
          const cs = s[j]! / t;
          const sn = f / t;
          s[j] = t;
          if (j !== k) {
            f = -sn * e[j - 1]!;
            e[j - 1] = cs * e[j - 1]!;
          }
          rotate(V, j * n, (p - 1) * n, n, cs, sn);
        }
        break;
      }
      // Split at negligible s(k).
      case 2: {
        let f = e[k - 1]!;
        e[k - 1] = 0;
        for (let j = k; j < p; j++) {
          const t = hypotenuse(s[j]!, f);
          const cs = s[j]! / t;
          const sn = f / t;
          s[j] = t;
          f = -sn * e[j]!;
          e[j] = cs * e[j]!;
          rotate(U, j * m, (k - 1) * m, m, cs, sn);
        }
        break;
      }
      // Perform one QR step.
      case 3: {
        const scale = Math.max(
          Math.abs(s[p - 1]!),
          Math.abs(s[p - 2]!),
          Math.abs(e[p - 2]!),
          Math.abs(s[k]!),
          Math.abs(e[k]!),
        );
        const sp = s[p - 1]! / scale;
        const spm1 = s[p - 2]! / scale;
        const epm1 = e[p - 2]! / scale;
        const sk = s[k]! / scale;
        const ek = e[k]! / scale;
        const b = ((spm1 + sp) * (spm1 - sp) + epm1 * epm1) / 2;
        const c = sp * epm1 * (sp * epm1);
        let shift = 0;
        if (b !== 0 || c !== 0) {
          if (b < 0) {
            shift = 0 - Math.sqrt(b * b + c);
          } else {
            shift = Math.sqrt(b * b + c);
          }
          shift = c / (b + shift);
        }
        let f = (sk + sp) * (sk - sp) + shift;
        let g = sk * ek;
        for (let j = k; j < p - 1; j++) {
          let t = hypotenuse(f, g);
          if (t === 0) t = Number.MIN_VALUE;
          let cs = f / t;
          let sn = g / t;
          if (j !== k) {
            e[j - 1] = t;
          }
          f = cs * s[j]! + sn * e[j]!;
          e[j] = cs * e[j]! - sn * s[j]!;
          g = sn * s[j + 1]!;
          s[j + 1] = cs * s[j + 1]!;
          rotate(V, j * n, (j + 1) * n, n, cs, sn);
          t = hypotenuse(f, g);
          if (t === 0) t = Number.MIN_VALUE;
          cs = f / t;
          sn = g / t;
          s[j] = t;
          f = cs * e[j]! + sn * s[j + 1]!;
          s[j + 1] = -sn * e[j]! + cs * s[j + 1]!;
          g = sn * e[j + 1]!;
          e[j + 1] = cs * e[j + 1]!;
          if (j < m - 1) {
            rotate(U, j * m, (j + 1) * m, m, cs, sn);
          }
        }
        e[p - 2] = f;
        break;
      }
      // Convergence.
      case 4: {
        if (s[k]! <= 0) {
          s[k] = s[k]! < 0 ? -s[k]! : 0;
          negate(V, k * n, 0, pp + 1);
        }
        while (k < pp) {
          if (s[k]! >= s[k + 1]!) {
            break;
          }
          const t = s[k]!;
          s[k] = s[k + 1]!;
          s[k + 1] = t;
          if (k < n - 1) {
            swapRows(V, k * n, (k + 1) * n, n);
          }
          if (k < m - 1) {
            swapRows(U, k * m, (k + 1) * m, m);
          }
          k++;
        }
        p--;
        break;
      }
      // no default
    }
  }
}

/** Transposes a row-major n × n matrix in place (./eigen.ts uses it too). */
export function transposeSquareInPlace(x: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const io = i * n;
    for (let j = i + 1; j < n; j++) {
      const tmp = x[io + j]!;
      x[io + j] = x[j * n + i]!;
      x[j * n + i] = tmp;
    }
  }
}
