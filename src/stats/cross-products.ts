/**
 * The inner loop of MomentAccumulator (src/stats/moments.ts): for a block of up to BLOCK rows held
 * item-major, the weighted column sums, the products with the row means, and the cross-product of
 * every pair of columns. Two implementations that give the same bits:
 * - addBlockJs, plain JavaScript;
 * - addBlockWasm, the WebAssembly kernel in src/kernels/cross.wat (128-bit SIMD, two doubles per
 *   instruction; docs/performance.md). It takes each sum in the same order, with the same
 *   roundings, as the JavaScript loop.
 * `addBlock` is the kernel where WebAssembly SIMD is available (Node 16.4 and later), else the loop.
 */
import { WASM_BASE64 } from '../kernels/cross-wasm.js';
import { ensureMemory, instantiateKernel, type KernelMemory } from '../kernels/instantiate.js';

/** Rows gathered before their cross-products are summed. */
export const BLOCK = 64;

export type AddBlock = (block: Float64Array, wBlock: Float64Array, t: Float64Array | undefined, n: number, k: number, total: Float64Array, cross: Float64Array, tx: Float64Array) => void;

/**
 * Adds n rows held item-major in `block` (block[a * BLOCK + r]), the same times their weights in
 * `wBlock`, with each row's mean in `t`: weighted item sums into `total`, cross-products (lower
 * triangle, cross[a * k + b], b ≤ a) and item × row-mean products into `tx`. Each is a dot product
 * of two columns summed in a register, several times faster than updating k² sums row by row.
 * (A plain function of typed arrays, so the compiler sees one shape.)
 */
export const addBlockJs: AddBlock = (block, wBlock, t, n, k, total, cross, tx) => {
  for (let a = 0; a < k; a++) {
    const oa = a * BLOCK;
    let s = 0;
    for (let r = 0; r < n; r++) s += wBlock[oa + r]!;
    total[a]! += s;
    if (t) {
      let x = 0;
      for (let r = 0; r < n; r++) x += wBlock[oa + r]! * t[r]!;
      tx[a]! += x;
    }
    for (let b = 0; b <= a; b++) {
      const ob = b * BLOCK;
      // Four running sums: a floating-point add waits for the one before, four can overlap.
      let x0 = 0;
      let x1 = 0;
      let x2 = 0;
      let x3 = 0;
      let r = 0;
      for (; r + 3 < n; r += 4) {
        x0 += wBlock[oa + r]! * block[ob + r]!;
        x1 += wBlock[oa + r + 1]! * block[ob + r + 1]!;
        x2 += wBlock[oa + r + 2]! * block[ob + r + 2]!;
        x3 += wBlock[oa + r + 3]! * block[ob + r + 3]!;
      }
      for (; r < n; r++) x0 += wBlock[oa + r]! * block[ob + r]!;
      cross[a * k + b]! += x0 + x1 + (x2 + x3);
    }
  }
};

interface CrossKernel {
  memory: KernelMemory;
  cross: (k: number, n: number, bOff: number, wOff: number, tOff: number, oOff: number, withT: number) => void;
}

/**
 * addBlock through the WebAssembly kernel: copies the block into the kernel's memory (growing it
 * for large k), runs it, and adds its results to the sums in the JavaScript loop's order.
 */
function wasmAddBlock(kernel: CrossKernel): AddBlock {
  let mem = new Float64Array(kernel.memory.buffer);
  return (block, wBlock, t, n, k, total, cross, tx) => {
    const column = BLOCK * 8;
    // Unweighted rows come with wBlock = block: one copy serves both.
    const wOff = wBlock === block ? 0 : k * column;
    const tOff = 2 * k * column;
    const oOff = tOff + column;
    const bytes = oOff + (2 * k + (k * (k + 1)) / 2) * 8;
    ensureMemory(kernel.memory, bytes);
    // A grown memory has a new buffer (the old views are detached).
    if (mem.buffer !== kernel.memory.buffer) mem = new Float64Array(kernel.memory.buffer);
    mem.set(block.subarray(0, k * BLOCK), 0);
    if (wOff !== 0) mem.set(wBlock.subarray(0, k * BLOCK), wOff / 8);
    if (t) mem.set(t.subarray(0, BLOCK), tOff / 8);
    kernel.cross(k, n, 0, wOff, tOff, oOff, t ? 1 : 0);
    const o = oOff / 8;
    for (let a = 0; a < k; a++) total[a]! += mem[o + a]!;
    if (t) for (let a = 0; a < k; a++) tx[a]! += mem[o + k + a]!;
    let p = o + 2 * k;
    for (let a = 0; a < k; a++) {
      const row = a * k;
      for (let b = 0; b <= a; b++) cross[row + b]! += mem[p++]!;
    }
  };
}

const kernel = instantiateKernel<CrossKernel>(WASM_BASE64);

/** The WebAssembly version, where available (exported for the tests that compare the two). */
export const addBlockWasm: AddBlock | undefined = kernel && wasmAddBlock(kernel);

export const addBlock: AddBlock = addBlockWasm ?? addBlockJs;
