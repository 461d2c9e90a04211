/**
 * The WebAssembly kernel for cross-products (src/kernels/cross.wat) against the JavaScript loop
 * it replaces: the results must be the same bits,
 * for any k, any number of rows in a block, with and without row means, on whole and fractional
 * values. MomentAccumulator's results must not depend on which one it runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addBlockJs, addBlockWasm, BLOCK } from '../../src/stats/cross-products.js';
import { MomentAccumulator } from '../../src/stats/moments.js';

function sums(k: number) {
  return { total: new Float64Array(k), cross: new Float64Array(k * k), tx: new Float64Array(k) };
}

describe('the WebAssembly cross-product kernel', () => {
  it('is available on this Node (SIMD), so rapport runs it', () => {
    expect(addBlockWasm).toBeDefined();
  });

  it('gives the JavaScript loop’s bits for any k, rows, weights and row means', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: BLOCK }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        fc.integer(),
        (k, n, withT, same, whole, seed) => {
          let s = seed >>> 0 || 1;
          const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
          const block = new Float64Array(k * BLOCK).map(() => (whole ? Math.floor(rnd() * 7) - 3.5 : rnd() * 10 - 5.3));
          const wBlock = same ? block : block.map((x) => x * (1 + Math.floor(rnd() * 4)));
          const t = withT ? new Float64Array(BLOCK).map(() => rnd() * 3 - 1.1) : undefined;
          const js = sums(k);
          const wasm = sums(k);
          // Twice, so the second call adds to sums already there (and reuses the kernel's memory).
          for (let rep = 0; rep < 2; rep++) {
            addBlockJs(block, wBlock, t, n, k, js.total, js.cross, js.tx);
            addBlockWasm!(block, wBlock, t, n, k, wasm.total, wasm.cross, wasm.tx);
          }
          expect(Buffer.from(wasm.cross.buffer).equals(Buffer.from(js.cross.buffer))).toBe(true);
          expect(Buffer.from(wasm.total.buffer).equals(Buffer.from(js.total.buffer))).toBe(true);
          expect(Buffer.from(wasm.tx.buffer).equals(Buffer.from(js.tx.buffer))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('grows its memory for a large k (300 items) and still agrees', () => {
    const k = 300;
    const block = new Float64Array(k * BLOCK).map((_, i) => ((i * 7919) % 13) - 6.5);
    const js = sums(k);
    const wasm = sums(k);
    addBlockJs(block, block, undefined, BLOCK, k, js.total, js.cross, js.tx);
    addBlockWasm!(block, block, undefined, BLOCK, k, wasm.total, wasm.cross, wasm.tx);
    expect(wasm.cross).toEqual(js.cross);
    expect(wasm.cross.some((x) => x !== 0)).toBe(true);
  });
});

describe('MomentAccumulator with weights', () => {
  it('gives the same moments whether rows are added once each, by column index, or as weights', () => {
    const k = 5;
    const rows = Array.from({ length: 300 }, (_, i) => Array.from({ length: k }, (_, j) => ((i * 31 + j * 17) % 11 === 0 ? Number.NaN : 1 + ((i * 7 + j * 3) % 5))));
    const shift = new Float64Array(k).fill(3);
    const once = new MomentAccumulator(k, shift);
    const byColumns = new MomentAccumulator(k, shift);
    const weighted = new MomentAccumulator(k, shift);
    // Item j of the row sits at column columns[j] of a wider row whose other cells must be ignored.
    const columns = [6, 0, 4, 1, 2];
    rows.forEach((row, i) => {
      const w = 1 + (i % 3);
      const wide = new Array<number>(7).fill(99);
      columns.forEach((c, j) => (wide[c] = row[j]!));
      for (let c = 0; c < w; c++) {
        once.add(row);
        byColumns.addColumns(wide, columns);
      }
      weighted.add(row, 0, w);
    });
    const a = once.finish();
    // Whole-number items on a half-integer shift: every sum is exact, so the three agree exactly.
    expect(weighted.finish()).toEqual(a);
    expect(byColumns.finish()).toEqual(a);
  });
});
