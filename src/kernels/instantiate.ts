/** Instantiating the WebAssembly kernels compiled from this folder's .wat sources (scripts/build-kernels.mjs). */

/** The parts of the WebAssembly API used here (the TypeScript libs for Node do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

/** A kernel's memory, as the kernels export it. */
export interface KernelMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The kernel's exports, or undefined where WebAssembly (or its SIMD instructions) is not available. */
export function instantiateKernel<T>(base64: string): T | undefined {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wasm) return undefined;
  try {
    const module = new wasm.Module(Buffer.from(base64, 'base64'));
    return new wasm.Instance(module, {}).exports as T;
  } catch {
    return undefined;
  }
}

/** Grows a kernel's memory to at least `bytes`; true if it had to grow (its old views are then detached). */
export function ensureMemory(memory: KernelMemory, bytes: number): boolean {
  const have = memory.buffer.byteLength;
  if (bytes <= have) return false;
  memory.grow(Math.ceil((bytes - have) / 65536));
  return true;
}
