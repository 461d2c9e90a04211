/** The kernels' compiled modules are what scripts/build-kernels.mjs makes of their sources (run npm run generate after editing a .wat). */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain JavaScript build script without type declarations
import { generatedKernels } from '../../scripts/build-kernels.mjs';

describe('src/kernels/*-wasm.ts', () => {
  it('are compiled from the committed .wat sources', async () => {
    const kernels = (await generatedKernels()) as Array<{ wat: string; path: string; text: string }>;
    const dir = readdirSync('src/kernels');
    expect(kernels.map((k) => k.wat)).toEqual(dir.filter((f) => f.endsWith('.wat')).sort());
    // No compiled module without its source.
    expect(dir.filter((f) => f.endsWith('-wasm.ts')).sort()).toEqual(kernels.map((k) => k.wat.replace('.wat', '-wasm.ts')));
    for (const k of kernels) expect(readFileSync(k.path, 'utf8'), k.wat).toBe(k.text);
  });
});
