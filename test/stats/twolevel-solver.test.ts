/**
 * The saturated two-level model's Fisher-scoring step, solved without forming the information
 * (conjugate gradients on the operator, src/stats/twolevel.ts saturatedSolver), against the same
 * step from the information formed entry by entry and factored (saturatedInformation).
 */
import { describe, expect, it } from 'vitest';
import { denseSolver, saturatedInformation, saturatedSolver, twoLevelStats, vechIndex } from '../../src/stats/twolevel.js';

/** Seeded uniform numbers (mulberry32) and normals from them. */
function generator(seed: number) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { uniform, normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()) };
}

/** Clients with `sizes[j]` rows each: y = item mean + client effect (one factor) + noise. */
function statsOf(k: number, sizes: number[], seed: number) {
  const g = generator(seed);
  const sums = new Float64Array(sizes.length * k);
  const cross = new Float64Array(k * k);
  sizes.forEach((n, j) => {
    const level = g.normal();
    for (let r = 0; r < n; r++) {
      const state = g.normal();
      const y = Array.from({ length: k }, (_, a) => 3 + 0.4 * level * (1 + a / k) + 0.8 * state + g.normal());
      y.forEach((v, a) => {
        sums[j * k + a]! += v;
        for (let b = 0; b <= a; b++) cross[a * k + b]! += v * y[b]!;
      });
    }
  });
  return twoLevelStats(k, sums, sizes, cross, new Array<number>(k).fill(0));
}

const dense = (m: number[][]) => m.map((r) => [...r]);

describe('the scoring step without forming the information', () => {
  const cases: Array<[string, number, number[]]> = [
    ['one cluster size (the preconditioner is the exact inverse)', 6, Array.from({ length: 80 }, () => 5)],
    ['sizes 1 to 20, unbalanced', 8, Array.from({ length: 150 }, (_, j) => 1 + ((j * 7) % 20))],
    ['20 items, a few large clusters and many small ones', 20, Array.from({ length: 120 }, (_, j) => (j % 10 === 0 ? 40 : 2 + (j % 3)))],
  ];
  for (const [name, k, sizes] of cases) {
    it(`${name}: H⁻¹g equals the factored information's to 1e-9`, () => {
      const stats = statsOf(k, sizes, 11 + k);
      const idx = vechIndex(k);
      const p = idx.length;
      // At the moment estimates, and at a Σ_B with a negative eigenvalue (as at Heywood solutions).
      const sb = stats.sizes[0]!.cov.map((row, a) => row.map((v, b) => (a === b ? 0.1 * v : 0.03 * v)));
      sb[0]![0] = -0.01 * stats.withinCov[0]![0]!;
      for (const [sw, sbx] of [[stats.withinCov, sb]] as const) {
        const info = saturatedInformation(stats, idx, dense(sw), dense(sbx))!;
        const reference = denseSolver(info, 2 * p)!;
        const solver = saturatedSolver(stats, idx, dense(sw), dense(sbx))!;
        const g = generator(k);
        const gradient = Array.from({ length: 2 * p }, () => g.normal());
        const want = reference.solve(gradient);
        const got = solver.solve(gradient);
        const scale = Math.max(...want.map(Math.abs));
        const worst = Math.max(...got.map((v, i) => Math.abs(v - want[i]!)));
        expect(worst / scale).toBeLessThan(1e-9);
        // H applied to the step gives the gradient back.
        const back = Array.from({ length: 2 * p }, (_, i) => got.reduce((t, v, j) => t + info[i * 2 * p + j]! * v, 0));
        expect(Math.max(...back.map((v, i) => Math.abs(v - gradient[i]!)))).toBeLessThan(1e-8 * Math.max(...gradient.map(Math.abs)));
      }
    });
  }
});
