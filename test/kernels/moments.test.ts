/**
 * The streaming pass in WebAssembly (src/stats/wasm-moments.ts, `rows` in wasm/cross.wat) against
 * MomentAccumulator given the same rows: every sum bit for bit, for random questionnaires, missing
 * cells, groups, listwise, fractional answers and batches of any size.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadInstruments } from '../../src/instrument/catalogue.js';
import { runReliabilityJob } from '../../src/pipeline/reliability.js';
import { validateColumnMap } from '../../src/scoring/columns.js';
import { MomentAccumulator, type MomentSums } from '../../src/stats/moments.js';
import { WasmMoments } from '../../src/stats/wasm-moments.js';

/** The sums of a MomentAccumulator fed as MomentCollector does (rows with no answer, or listwise one missing, left out). */
function reference(rows: number[][], columns: number[], shift: Float64Array, listwise: boolean): MomentSums | null {
  const acc = new MomentAccumulator(columns.length, shift);
  let any = false;
  for (const row of rows) {
    const answered = columns.filter((c) => !Number.isNaN(row[c]!)).length;
    if (answered === 0 || (listwise && answered < columns.length)) continue;
    acc.addColumns(row, columns);
    any = true;
  }
  return any ? acc.sums() : null;
}

const bits = (s: MomentSums | null) => s && { ...s, arrays: s.arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex')) };

describe('WasmMoments (the streaming pass in WebAssembly)', () => {
  const kernel = () => WasmMoments.create()!;
  it('is available here (Node 20 has WebAssembly SIMD)', () => {
    expect(WasmMoments.create()).toBeDefined();
  });

  it('gives MomentAccumulator’s sums bit for bit, per group, in batches', () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 14 }),
          rows: fc.integer({ min: 0, max: 400 }),
          groups: fc.integer({ min: 1, max: 3 }),
          missing: fc.constantFrom(0, 0.05, 0.3, 0.9),
          fractional: fc.boolean(),
          listwise: fc.boolean(),
          batch: fc.integer({ min: 1, max: 150 }),
          seed: fc.integer({ min: 1, max: 2 ** 30 }),
          pick: fc.integer({ min: 1, max: 2 ** 30 }),
        }),
        ({ n, rows: nRows, groups, missing, fractional, listwise, batch, seed, pick }) => {
          let s = seed;
          const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
          const rows = Array.from({ length: nRows }, () =>
            Array.from({ length: n }, () => (rnd() < missing ? Number.NaN : fractional ? Math.round(rnd() * 700) / 100 : 1 + Math.floor(rnd() * 7))),
          );
          const group = rows.map(() => Math.floor(rnd() * groups));
          // Two scales: a random subset of the items in a random order, and all of them.
          const subset = Array.from({ length: n }, (_, j) => j).filter((j) => (pick >> j) & 1);
          const scales = [subset.length > 0 ? subset.reverse() : [0], Array.from({ length: n }, (_, j) => j)];
          const wm = kernel();
          const tables = scales.map((cols) => wm.table(cols, new Float64Array(cols.length).fill(fractional ? 3.5 : 4), listwise));
          for (const t of tables) wm.ensureGroup(t, groups - 1);
          for (let r0 = 0; r0 < nRows; r0 += batch) {
            const m = Math.min(batch, nRows - r0);
            const [buf] = wm.rowBuffers(m, [n]);
            for (let r = 0; r < m; r++) {
              buf!.values.set(rows[r0 + r]!, r * n);
              buf!.groups[r] = group[r0 + r]!;
            }
            for (const t of tables) wm.add(t, buf!, n, m, groups > 1);
          }
          scales.forEach((cols, i) => {
            for (let g = 0; g < groups; g++) {
              const mine = rows.filter((_, r) => groups === 1 || group[r] === g);
              const expected = reference(mine, cols, tables[i]!.shift, listwise);
              expect(bits(wm.take(tables[i]!, g))).toEqual(bits(expected));
            }
          });
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('WasmMoments with weights (the bootstrap: MomentAccumulator.addWeighted)', () => {
  it('gives addWeighted’s sums bit for bit, resample after resample in one state', () => {
    fc.assert(
      fc.property(
        fc.record({
          n: fc.integer({ min: 1, max: 14 }),
          rows: fc.integer({ min: 1, max: 300 }),
          missing: fc.constantFrom(0, 0.05, 0.3, 0.9),
          resamples: fc.integer({ min: 1, max: 4 }),
          seed: fc.integer({ min: 1, max: 2 ** 30 }),
        }),
        ({ n, rows: nRows, missing, resamples, seed }) => {
          let s = seed;
          const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
          const values = Float64Array.from({ length: nRows * n }, () => (rnd() < missing ? Number.NaN : 1 + Math.floor(rnd() * 7)));
          // Column means as the shift (fractional), as the bootstrap uses.
          const shift = Float64Array.from({ length: n }, (_, j) => {
            let sum = 0;
            let c = 0;
            for (let i = 0; i < nRows; i++) if (!Number.isNaN(values[i * n + j]!)) (sum += values[i * n + j]!), c++;
            return c > 0 ? sum / c : 0;
          });
          const wm = WasmMoments.create()!;
          const table = wm.table(Array.from({ length: n }, (_, j) => j), shift, false, true);
          wm.ensureGroup(table, 0);
          const [buf] = wm.rowBuffers(nRows, [n]);
          buf!.values.set(values);
          for (let b = 0; b < resamples; b++) {
            const counts = new Int32Array(nRows);
            for (let i = 0; i < nRows; i++) counts[Math.floor(rnd() * nRows)]!++;
            buf!.weights.set(counts);
            wm.add(table, buf!, n, nRows, false);
            const acc = new MomentAccumulator(n, shift, false);
            acc.addWeighted(values, counts, nRows);
            expect(bits(wm.take(table, 0))).toEqual(bits(acc.sums()));
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('reliability with and without the kernel', () => {
  afterEach(() => vi.restoreAllMocks());
  // The two-level fits (their clients' sums read the values the kernel's memory holds) in one case: in
  // every case they would only add time.
  const run = async (input: string, ids: string, extra: { by?: string; missing?: 'pairwise' | 'listwise'; map?: string; encoding?: string; twoLevel?: boolean }) => {
    const instruments = await loadInstruments(ids);
    const map = extra.map ? { map: validateColumnMap(JSON.parse(readFileSync(extra.map, 'utf8')), instruments.map((l) => l.instrument), extra.map) } : {};
    return runReliabilityJob({ input, instruments, missing: extra.missing ?? 'pairwise', seed: 1, outputs: [], ...(extra.twoLevel ? {} : { client: false as const }), ...(extra.by ? { by: extra.by } : {}), ...(extra.encoding ? { read: { encoding: extra.encoding } } : {}), ...map }, Readable.from([]));
  };
  it('gives the same report, to the bit (fractional ORS answers, problems, Qualtrics rows read apart, --by, listwise)', async () => {
    const cases = [
      { file: 'clean.csv', ids: 'wai-sr,ors', extra: { twoLevel: true } },
      { file: 'clean.csv', ids: 'wai-sr,ors', extra: { by: 'therapist_id' } },
      { file: 'clean.csv', ids: 'wai-sr,ors', extra: { missing: 'listwise' as const } },
      { file: 'semicolon.csv', ids: 'wai-sr,ors', extra: {} },
      { file: 'qualtrics.csv', ids: 'wai-sr,ors', extra: { map: join('fixtures/formats', 'qualtrics-map.json') } },
      { file: 'windows1252.csv', ids: 'wai-sr,ors', extra: { encoding: 'windows-1252' } },
    ];
    for (const c of cases) {
      const input = join('fixtures/formats', c.file);
      const withKernel = await run(input, c.ids, c.extra);
      const spy = vi.spyOn(WasmMoments, 'create').mockReturnValue(undefined);
      const without = await run(input, c.ids, c.extra);
      expect(spy).toHaveBeenCalled();
      spy.mockRestore();
      expect(withKernel.scales.length, c.file).toBeGreaterThan(0);
      if ('twoLevel' in c.extra) expect(withKernel.scales.every((s) => Number.isFinite(s.result.multilevel?.alphaWithin)), c.file).toBe(true);
      expect(withKernel, c.file).toEqual(without);
    }
  });
});

