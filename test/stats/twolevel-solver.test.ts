/**
 * The saturated two-level model's Fisher-scoring step, solved without forming the information
 * (conjugate gradients on the operator, src/stats/twolevel.ts saturatedSolver), against the same
 * step from the information formed entry by entry and factored (saturatedInformation).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { seededRng } from '../../src/stats/random.js';
import { denseSolver, saturatedInformation, saturatedSolver, smallestEigenvalue, type TwoLevelStats, twoLevelStats, vechIndex } from '../../src/stats/twolevel.js';

/** Seeded normals (Box–Muller on rapport's resampling generator). */
function generator(seed: number) {
  const rng = seededRng(seed);
  const uniform = () => (rng.index(4294967296) + 0.5) / 4294967296;
  return { normal: () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()) };
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
      // Σ_B small and not positive semi-definite (as at Heywood solutions): a fiftieth of Σ_W's
      // variances, and items 1 and 2 covarying more than they vary.
      const sb = stats.withinCov.map((row, x) => row.map((v, y) => (x === y ? 0.02 * v : 0)));
      sb[0]![1] = sb[1]![0] = 0.03 * Math.sqrt(stats.withinCov[0]![0]! * stats.withinCov[1]![1]!);
      expect(smallestEigenvalue(sb)).toBeLessThan(0);
      const info = saturatedInformation(stats, idx, dense(stats.withinCov), dense(sb));
      expect(info).toBeDefined();
      const reference = denseSolver(info!, 2 * p)!;
      const solver = saturatedSolver(stats, idx, dense(stats.withinCov), dense(sb))!;
      const g = generator(k);
      const gradient = Array.from({ length: 2 * p }, () => g.normal());
      const want = reference.solve(gradient)!;
      const got = solver.solve(gradient)!;
      const scale = Math.max(...want.map(Math.abs));
      const worst = Math.max(...got.map((v, i) => Math.abs(v - want[i]!)));
      expect(worst / scale).toBeLessThan(1e-9);
      // H applied to the step gives the gradient back.
      const back = Array.from({ length: 2 * p }, (_, i) => got.reduce((t, v, j) => t + info![i * 2 * p + j]! * v, 0));
      expect(Math.max(...back.map((v, i) => Math.abs(v - gradient[i]!)))).toBeLessThan(1e-8 * Math.max(...gradient.map(Math.abs)));
    });
  }
  it('where CG cannot converge, the step comes from the factored information, or is refused when that is not positive definite', () => {
    const { stats, sigmaWithin, sigmaBetween } = JSON.parse(readFileSync('fixtures/multilevel/ill-conditioned-step.json', 'utf8')) as { stats: TwoLevelStats; sigmaWithin: number[][]; sigmaBetween: number[][] };
    const idx = vechIndex(stats.k);
    const p = idx.length;
    const g = generator(3);
    const gradient = Array.from({ length: 2 * p }, () => g.normal());
    // At this iterate (few clients of many sizes, Σ_B nearly of rank one) the information is not
    // numerically positive definite: no step, where CG alone would give one with a residual 10³ × g.
    const info = saturatedInformation(stats, idx, dense(sigmaWithin), dense(sigmaBetween))!;
    expect(denseSolver(info, 2 * p)).toBeUndefined();
    expect(saturatedSolver(stats, idx, dense(sigmaWithin), dense(sigmaBetween))!.solve(gradient)).toBeUndefined();
    // A little of Σ_B taken off: positive definite, ill-conditioned; the step equals the factored one.
    const shrunk = sigmaBetween.map((row) => row.map((v) => 0.5 * v));
    const info2 = saturatedInformation(stats, idx, dense(sigmaWithin), shrunk)!;
    const want = denseSolver(info2, 2 * p)!.solve(gradient)!;
    const got = saturatedSolver(stats, idx, dense(sigmaWithin), shrunk)!.solve(gradient)!;
    const scale = Math.max(...want.map(Math.abs));
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i]!))) / scale).toBeLessThan(1e-9);
  });
});
