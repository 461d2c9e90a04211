/**
 * Single-byte text to UTF-8 through a table (transcode.wat), for the decoder in front of the CSV
 * reader: the kernel where WebAssembly is available, else the same loop in JavaScript. The table
 * (what each byte means) comes from the caller; this only applies it.
 */
import { ensureMemory, instantiateKernel, type KernelMemory } from './instantiate.js';
import { WASM_BASE64 } from './transcode-wasm.js';

/** Each byte value's UTF-8 bytes (four per value, zero-padded) and their number (0: not a character). */
export interface SingleByteTable {
  utf8: Uint8Array;
  length: Uint8Array;
}

/** The UTF-8 bytes and the line feeds read; or, at the first byte not defined, its index (else -1), the line feeds before it and no bytes. */
export interface Transcoded {
  out: Buffer;
  lines: number;
  undefinedAt: number;
}

const EMPTY = Buffer.alloc(0);

/** The JavaScript loop the kernel stands in for. */
export function transcodeSingleByteJs(chunk: Uint8Array, table: SingleByteTable): Transcoded {
  const { utf8, length } = table;
  const out = Buffer.allocUnsafe(chunk.length * 3);
  let o = 0;
  let lines = 0;
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk[i]!;
    if (c < 0x80) {
      out[o++] = c;
      if (c === 10) lines++;
      continue;
    }
    const n = length[c]!;
    if (n === 0) return { out: EMPTY, lines, undefinedAt: i };
    const at = 4 * c;
    out[o++] = utf8[at]!;
    if (n > 1) out[o++] = utf8[at + 1]!;
    if (n > 2) out[o++] = utf8[at + 2]!;
  }
  return { out: out.subarray(0, o), lines, undefinedAt: -1 };
}

interface TranscodeKernel {
  memory: KernelMemory;
  sbcs: (input: number, n: number, out: number) => number;
}

const LINES = 1280;
const INPUT = 2048;
const align16 = (n: number): number => (n + 15) & ~15;

/** A table loaded into its own kernel instance (one per input read). */
export class SingleByteTranscoder {
  private readonly kernel: TranscodeKernel | undefined;

  constructor(private readonly table: SingleByteTable) {
    this.kernel = instantiateKernel<TranscodeKernel>(WASM_BASE64);
    if (this.kernel) {
      const bytes = new Uint8Array(this.kernel.memory.buffer);
      bytes.set(table.utf8.subarray(0, 1024), 0);
      bytes.set(table.length.subarray(0, 256), 1024);
    }
  }

  run(chunk: Uint8Array, useKernel = true): Transcoded {
    const k = this.kernel;
    if (!k || !useKernel) return transcodeSingleByteJs(chunk, this.table);
    const n = chunk.length;
    const out = align16(INPUT + n + 16);
    ensureMemory(k.memory, out + 3 * n + 16);
    const bytes = new Uint8Array(k.memory.buffer);
    bytes.set(chunk, INPUT);
    const r = k.sbcs(INPUT, n, out);
    const lines = new Int32Array(k.memory.buffer, LINES, 1)[0]!;
    if (r < 0) return { out: EMPTY, lines, undefinedAt: -1 - r };
    return { out: Buffer.from(bytes.subarray(out, out + r)), lines, undefinedAt: -1 };
  }
}
