/**
 * One-pass sufficient statistics of an item matrix, from which every statistic psych::alpha reports
 * follows: pairwise-complete sums and cross-products (R's cov(use = "pairwise")), the complete-case
 * cross-products (lavaan's ML covariance, for omega), and the moments of each item with its row's
 * mean of answered items (psych's raw.r). Rows can be added one at a time, so a file of any length
 * needs O(k²) memory. Sums are of values shifted by a constant near the data (the "shifted data"
 * algorithm; Chan, Golub & LeVeque, 1983), the scale midpoint or the column means.
 */
import { addBlock, BLOCK } from './cross-products.js';
import type { ItemMatrix } from './item-matrix.js';

export interface PairwiseCovariance {
  /** k × k sample covariances (divisor n − 1); NaN where a pair has fewer than 2 joint answers. */
  cov: number[][];
  /** k × k number of rows in which both items are answered. */
  counts: number[][];
}

export interface ItemMoments {
  /** Rows added (each with at least one answered item, as the callers choose them). */
  rows: number;
  pairwise: PairwiseCovariance;
  complete: { cov: number[][]; n: number };
  /** Pearson correlation of each item with its row's mean of answered items (rows where both exist). */
  rRaw: number[];
  /** Mean of each item over the rows where it is answered. */
  means: number[];
}

/** An accumulator's sums, as MomentAccumulator.sums() gives them. */
export interface MomentSums {
  rows: number;
  full: number;
  part: number;
  tSum: number;
  ttSum: number;
  arrays: Float64Array[];
}

/**
 * The accumulator. Missing values are taken as 0 after the shift, so every row's products go into
 * dense sums without bookkeeping of which pairs are present; what the pairwise-complete sums need
 * besides follows from how often, and with what, each item is missing (few cells in real data):
 * for items a, b over the incomplete rows,
 *   n(a,b) = rows − miss(a) − miss(b) + miss(a,b),  Σ a where b answered = Σ a − Σ a where b missing.
 * Complete rows are also summed apart, for the complete-case covariance.
 */
export class MomentAccumulator {
  rows = 0;
  private full = 0;
  private part = 0;
  private readonly fullSum: Float64Array;
  private readonly fullCross: Float64Array;
  private readonly partSum: Float64Array;
  private readonly partCross: Float64Array;
  /** [a*k+b], a ≥ b: incomplete rows with a and b both missing (the diagonal: a missing). */
  private readonly missBoth: Float64Array;
  /** [a*k+b]: Σ of (shifted) item a over the rows where b is missing. */
  private readonly sumWhereMissing: Float64Array;
  // raw.r: the row mean t of answered items, and its products with each item.
  private tSum = 0;
  private ttSum = 0;
  private readonly tx: Float64Array;
  /** Σ t and Σ t² over the rows where the item is missing. */
  private readonly tMiss: Float64Array;
  private readonly ttMiss: Float64Array;
  /** Rows not yet summed, complete [0] and incomplete [1], item-major, with their row means. */
  private readonly block: Float64Array[];
  private readonly wBlock: Float64Array[];
  private readonly tBlock: Float64Array[];
  private readonly filled = [0, 0];
  /** Whether a row of the block has a weight other than 1 (else wBlock is not filled: it equals block). */
  private readonly weighted = [false, false];
  private readonly absent: Int32Array;
  /** 0, 1, … k − 1: the columns of a row read in order. */
  private readonly identity: Int32Array;
  private readonly tShift: number;

  constructor(
    readonly k: number,
    private readonly shift: Float64Array,
    /** Also collect the item-by-row-mean moments (raw.r); covariances alone need not. */
    private readonly rowMeans = true,
  ) {
    // The row mean is shifted by one constant, so its correlations are unchanged.
    this.tShift = k > 0 ? shift.reduce((a, b) => a + b, 0) / k : 0;
    this.fullSum = new Float64Array(k);
    this.fullCross = new Float64Array(k * k);
    this.partSum = new Float64Array(k);
    this.partCross = new Float64Array(k * k);
    this.missBoth = new Float64Array(k * k);
    this.sumWhereMissing = new Float64Array(k * k);
    this.tx = new Float64Array(k);
    this.tMiss = new Float64Array(k);
    this.ttMiss = new Float64Array(k);
    this.block = [new Float64Array(k * BLOCK), new Float64Array(k * BLOCK)];
    this.wBlock = [new Float64Array(k * BLOCK), new Float64Array(k * BLOCK)];
    this.tBlock = [new Float64Array(BLOCK), new Float64Array(BLOCK)];
    this.absent = new Int32Array(k);
    this.identity = Int32Array.from({ length: k }, (_, j) => j);
  }

  /**
   * Adds one row (NaN = missing), read from `values` at `offset`, `weight` times (a bootstrap
   * resample adds each drawn row once, weighted by how often it was drawn).
   */
  add(values: ArrayLike<number>, offset = 0, weight = 1): void {
    this.addColumns(values, this.identity, offset, weight);
  }

  /** Adds the row whose item j is values[offset + columns[j]] (NaN = missing), `weight` times. */
  addColumns(values: ArrayLike<number>, columns: ArrayLike<number>, offset = 0, weight = 1): void {
    const { k, absent, shift } = this;
    // Straight into the next free row of the complete rows' block (moved if the row is incomplete).
    const block = this.block[0]!;
    const r = this.filled[0]!;
    let m = 0;
    let sum = 0;
    for (let j = 0; j < k; j++) {
      const x = values[offset + columns[j]!]!;
      if (x === x) {
        block[j * BLOCK + r] = x - shift[j]!;
        sum += x;
      } else {
        block[j * BLOCK + r] = 0;
        absent[m++] = j;
      }
    }
    this.addLoaded(m, sum, weight);
  }

  /**
   * Adds rows 0 … nRows − 1 of `values` (row-major, k columns) in order, row i weights[i] times
   * (those with weight 0 left out): the bootstrap's pass, the same sums as add(values, i · k,
   * weights[i]) row after row. Complete rows are written here, straight into both blocks, with the
   * same operations addColumns and addLoaded do; a row with a missing value goes through add().
   */
  addWeighted(values: Float64Array, weights: ArrayLike<number>, nRows: number): void {
    const { k, shift, tShift } = this;
    const block = this.block[0]!;
    const wBlock = this.wBlock[0]!;
    const tBlock = this.tBlock[0]!;
    for (let i = 0; i < nRows; i++) {
      const w = weights[i]!;
      if (!(w > 0)) continue;
      const off = i * k;
      let complete = true;
      for (let j = 0; j < k; j++) {
        const x = values[off + j]!;
        if (x !== x) {
          complete = false;
          break;
        }
      }
      if (!complete || k === 0) {
        this.add(values, off, w);
        continue;
      }
      // The rows already in this block had weight 1 (wBlock not filled): as addLoaded, copy them.
      const r = this.filled[0]!;
      if (!this.weighted[0]) {
        this.weighted[0] = true;
        for (let a = 0; a < k; a++) wBlock.set(block.subarray(a * BLOCK, a * BLOCK + r), a * BLOCK);
      }
      let sum = 0;
      for (let j = 0; j < k; j++) {
        const x = values[off + j]!;
        const d = x - shift[j]!;
        block[j * BLOCK + r] = d;
        wBlock[j * BLOCK + r] = w * d;
        sum += x;
      }
      this.rows += w;
      const t = sum / k - tShift;
      this.tSum += w * t;
      this.ttSum += w * t * t;
      this.full += w;
      this.filled[0] = r + 1;
      tBlock[r] = t;
      if (r + 1 === BLOCK) this.flush(0);
    }
  }

  /**
   * Adds the row just written to the complete rows' block at its next free row (shifted, 0 where
   * missing), with `m` items missing (listed in `absent`) and `sum` of its answers.
   */
  private addLoaded(m: number, sum: number, weight: number): void {
    const k = this.k;
    this.rows += weight;
    const q = k - m;
    if (q === 0) return;
    const t = sum / q - this.tShift;
    this.tSum += weight * t;
    this.ttSum += weight * t * t;
    const which = m === 0 ? 0 : 1;
    if (m === 0) this.full += weight;
    else this.part += weight;
    const block = this.block[which]!;
    const r = this.filled[which]!++;
    if (which === 1) {
      // An incomplete row: moved to the incomplete rows' block.
      const from = this.block[0]!;
      const r0 = this.filled[0]!;
      for (let a = 0; a < k; a++) block[a * BLOCK + r] = from[a * BLOCK + r0]!;
    }
    if (weight !== 1 && !this.weighted[which]) {
      // The first weighted row of this block: the rows before it had weight 1, so wBlock = block.
      this.weighted[which] = true;
      const wBlock = this.wBlock[which]!;
      for (let a = 0; a < k; a++) wBlock.set(block.subarray(a * BLOCK, a * BLOCK + r), a * BLOCK);
    }
    // Weight 1 (every row of a plain pass): the weighted block is the block itself, not filled.
    if (this.weighted[which]) {
      const wBlock = this.wBlock[which]!;
      for (let a = 0; a < k; a++) wBlock[a * BLOCK + r] = weight * block[a * BLOCK + r]!;
    }
    this.tBlock[which]![r] = t;
    if (r + 1 === BLOCK) this.flush(which);
    if (m === 0) return;
    const { absent, missBoth, sumWhereMissing, tMiss, ttMiss } = this;
    for (let i = 0; i < m; i++) {
      const b = absent[i]!;
      tMiss[b]! += weight * t;
      ttMiss[b]! += weight * t * t;
      for (let j = 0; j <= i; j++) missBoth[b * k + absent[j]!]! += weight;
      for (let a = 0; a < k; a++) sumWhereMissing[a * k + b]! += weight * block[a * BLOCK + r]!;
    }
  }

  private flush(which: number): void {
    const n = this.filled[which]!;
    if (n === 0) return;
    const t = this.rowMeans ? this.tBlock[which] : undefined;
    const block = this.block[which]!;
    const wBlock = this.weighted[which] ? this.wBlock[which]! : block;
    if (which === 0) addBlock(block, wBlock, t, n, this.k, this.fullSum, this.fullCross, this.tx);
    else addBlock(block, wBlock, t, n, this.k, this.partSum, this.partCross, this.tx);
    this.filled[which] = 0;
    this.weighted[which] = false;
  }

  /** The sums so far (for another thread to merge with addSums): plain numbers and typed arrays, cloneable. */
  sums(): MomentSums {
    this.flush(0);
    this.flush(1);
    const { rows, full, part, tSum, ttSum, fullSum, fullCross, partSum, partCross, missBoth, sumWhereMissing, tx, tMiss, ttMiss } = this;
    return { rows, full, part, tSum, ttSum, arrays: [fullSum, fullCross, partSum, partCross, missBoth, sumWhereMissing, tx, tMiss, ttMiss] };
  }

  /**
   * Adds the sums of another accumulator with the same k and shift (rows read elsewhere, e.g. the
   * second part of a file). For whole-number items on a half-integer shift the sums are exact, so
   * the result is the same as adding those rows here; the row-mean sums (raw.r) may differ in the
   * last bits.
   */
  addSums(o: MomentSums): void {
    this.flush(0);
    this.flush(1);
    this.rows += o.rows;
    this.full += o.full;
    this.part += o.part;
    this.tSum += o.tSum;
    this.ttSum += o.ttSum;
    const mine = [this.fullSum, this.fullCross, this.partSum, this.partCross, this.missBoth, this.sumWhereMissing, this.tx, this.tMiss, this.ttMiss];
    mine.forEach((m, i) => {
      const x = o.arrays[i]!;
      if (x.length !== m.length) throw new Error('addSums: accumulators of different sizes');
      for (let j = 0; j < m.length; j++) m[j]! += x[j]!;
    });
  }

  finish(): ItemMoments {
    this.flush(0);
    this.flush(1);
    const { k, full, fullSum, fullCross, part, partSum, partCross, missBoth, sumWhereMissing } = this;
    const matrix = () => Array.from({ length: k }, () => new Array<number>(k).fill(Number.NaN));
    const cov = matrix();
    const completeCov = matrix();
    const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    const miss = (a: number) => missBoth[a * k + a]!;
    for (let a = 0; a < k; a++) {
      for (let b = 0; b <= a; b++) {
        completeCov[a]![b] = completeCov[b]![a] = (fullCross[a * k + b]! - (fullSum[a]! * fullSum[b]!) / full) / full;
        const partN = a === b ? part - miss(a) : part - miss(a) - miss(b) + missBoth[a * k + b]!;
        const nab = full + partN;
        const xa = fullSum[a]! + partSum[a]! - (a === b ? 0 : sumWhereMissing[a * k + b]!);
        const xb = fullSum[b]! + partSum[b]! - (a === b ? 0 : sumWhereMissing[b * k + a]!);
        const xab = fullCross[a * k + b]! + partCross[a * k + b]!;
        counts[a]![b] = counts[b]![a] = nab;
        if (nab >= 2) cov[a]![b] = cov[b]![a] = (xab - (xa * xb) / nab) / (nab - 1);
      }
    }
    // raw.r: r(item, row mean) over the rows where the item is answered.
    const rRaw = Array.from({ length: k }, (_, a) => {
      const n = full + part - miss(a);
      if (!this.rowMeans || n < 2) return Number.NaN;
      const st = this.ttSum - this.ttMiss[a]!;
      const t = this.tSum - this.tMiss[a]!;
      const x = fullSum[a]! + partSum[a]!;
      const xx = fullCross[a * k + a]! + partCross[a * k + a]!;
      return (this.tx[a]! - (t * x) / n) / Math.sqrt((st - t ** 2 / n) * (xx - x ** 2 / n));
    });
    const means = Array.from({ length: k }, (_, a) => {
      const n = full + part - miss(a);
      return n > 0 ? this.shift[a]! + (fullSum[a]! + partSum[a]!) / n : Number.NaN;
    });
    return { rows: this.rows, pairwise: { cov, counts }, complete: { cov: completeCov, n: full }, rRaw, means };
  }
}

/** Column means over the answered cells (a good shift for a matrix held in memory). */
export function columnMeans(m: ItemMatrix, rows?: ArrayLike<number>): Float64Array {
  const k = m.cols;
  const sum = new Float64Array(k);
  const cnt = new Float64Array(k);
  const nRows = rows ? rows.length : m.rows;
  for (let t = 0; t < nRows; t++) {
    const o = (rows ? rows[t]! : t) * k;
    for (let j = 0; j < k; j++) {
      const x = m.values[o + j]!;
      if (x === x) {
        sum[j]! += x;
        cnt[j]!++;
      }
    }
  }
  for (let j = 0; j < k; j++) sum[j] = cnt[j]! > 0 ? sum[j]! / cnt[j]! : 0;
  return sum;
}

/** The moments of a matrix held in memory (`rowMeans: false` skips raw.r, for covariances only). */
export function matrixMoments(m: ItemMatrix, rows?: ArrayLike<number>, rowMeans = true): ItemMoments {
  const acc = new MomentAccumulator(m.cols, columnMeans(m, rows), rowMeans);
  const nRows = rows ? rows.length : m.rows;
  for (let t = 0; t < nRows; t++) acc.add(m.values, (rows ? rows[t]! : t) * m.cols);
  return acc.finish();
}

/**
 * The moments of a matrix whose row i is counted weights[i] times (a bootstrap resample given as
 * how often each row was drawn: the same sums as the resample's rows one by one, at the cost of the
 * distinct rows). `shift` should be near the data, e.g. the whole matrix's column means.
 */
export function weightedMoments(m: ItemMatrix, weights: ArrayLike<number>, shift: Float64Array, rowMeans = true): ItemMoments {
  const acc = new MomentAccumulator(m.cols, shift, rowMeans);
  acc.addWeighted(m.values, weights, m.rows);
  return acc.finish();
}
