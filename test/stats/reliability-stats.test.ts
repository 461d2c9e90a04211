/**
 * Edge paths of the reliability statistics, against R (fixtures/reliability-edge/edge.R, psych 2.2.9,
 * lavaan 0.6.14, R 4.2.2; values in fixtures/reliability-edge/expected.txt) and hand working.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootstrapIntervals } from '../../src/reliability/bootstrap.js';
import { cronbachAlpha, feldtInterval } from '../../src/stats/alpha.js';
import { cov2cor, mlCovariance, pairwiseCovariance } from '../../src/stats/covariance.js';
import { itemMatrixFromRows } from '../../src/stats/item-matrix.js';
import { columnMeans, type ItemMoments, matrixMoments, MomentAccumulator, weightedMoments } from '../../src/stats/moments.js';
import { fitOneFactor } from '../../src/stats/omega.js';
import { quantile7 } from '../../src/stats/quantile.js';
import { readCsvObjects } from '../helpers/csv.js';

const expected = Object.fromEntries(
  readFileSync('fixtures/reliability-edge/expected.txt', 'utf8').trim().split('\n').map((l) => {
    const [key, ...values] = l.trim().split(/\s+/);
    return [key!, values.map(Number)];
  }),
) as Record<string, number[]>;
const NA = Number.NaN;

describe('pairwise covariance (R: cov(use = "pairwise"))', () => {
  it('uses the rows where both items are answered, with their own means', () => {
    // Hand working: x over rows 1,3 = (1,3), y = (2,6): cov = ((1−2)(2−4) + (3−2)(6−4)) / 1 = 4.
    const { cov, counts } = pairwiseCovariance(itemMatrixFromRows([[1, 2], [2, NA], [3, 6]]));
    expect(cov[0]![1]).toBe(4);
    expect(counts[0]![1]).toBe(2);
    expect(cov[0]![0]).toBe(1); // var(1, 2, 3)
  });
  it('cov2cor has an exact unit diagonal', () => {
    const r = cov2cor([[2, 1], [1, 3]]);
    expect(r[0]![0]).toBe(1);
    expect(r[0]![1]).toBeCloseTo(1 / Math.sqrt(6), 15);
  });
});

describe('alpha edge cases against psych', () => {
  it('two items, one value missing (psych special-cases alpha if deleted for k = 2)', () => {
    const [raw, std, ase, drop1, drop2, dropStd1, dropStd2, rDrop1, rDrop2, rawR1, rawR2] = expected.k2!;
    const a = cronbachAlpha(itemMatrixFromRows([[1, 2], [2, 2], [3, 4], [4, 5], [5, 4], [2, 1], [3, 3], [NA, 4]]));
    expect(a.raw).toBeCloseTo(raw!, 12);
    expect(a.std).toBeCloseTo(std!, 12);
    expect(a.ase).toBeCloseTo(ase!, 12);
    expect(a.items.map((i) => i.alphaIfDeleted)).toEqual([expect.closeTo(drop1!, 12), expect.closeTo(drop2!, 12)]);
    expect(a.items.map((i) => i.alphaStdIfDeleted)).toEqual([expect.closeTo(dropStd1!, 12), expect.closeTo(dropStd2!, 12)]);
    expect(a.items.map((i) => i.rDrop)).toEqual([expect.closeTo(rDrop1!, 12), expect.closeTo(rDrop2!, 12)]);
    expect(a.items.map((i) => i.rRaw)).toEqual([expect.closeTo(rawR1!, 12), expect.closeTo(rawR2!, 12)]);
  });

  it('drops an item with no variance, as psych does, and computes alpha on the rest', () => {
    const [raw, std, g6, k, lo, hi] = expected.zero!;
    const a = cronbachAlpha(itemMatrixFromRows([[1, 2, 1, 3], [2, 2, 3, 3], [3, 4, 3, 3], [4, 5, 4, 3], [5, 4, 5, 3], [3, 3, 2, 3]]));
    expect(a.zeroVariance).toEqual([3]);
    expect(a.k).toBe(k);
    expect(a.raw).toBeCloseTo(raw!, 12);
    expect(a.std).toBeCloseTo(std!, 12);
    expect(a.g6).toBeCloseTo(g6!, 12);
    expect(a.feldt[0]).toBeCloseTo(lo!, 10);
    expect(a.feldt[1]).toBeCloseTo(hi!, 10);
    expect(a.items[3]).toMatchObject({ dropped: true, rDrop: NaN });
  });

  it('reports why alpha is unavailable with fewer than 2 usable items', () => {
    const a = cronbachAlpha(itemMatrixFromRows([[1, 3], [2, 3], [3, 3]]));
    expect(a.failure).toMatch(/fewer than 2 items/);
    expect(a.raw).toBeNaN();
  });

  it('Feldt interval: psych::alpha.ci(0.8, 100, 10) by hand from qf', () => {
    // R 4.2.2: qf(c(.975, .025), 99, 891) = 1.3197577047, 0.7315409045
    const [lo, hi] = feldtInterval(0.8, 100, 10);
    expect(lo).toBeCloseTo(1 - 0.2 * 1.3197577047, 9);
    expect(hi).toBeCloseTo(1 - 0.2 * 0.7315409045, 9);
  });
});

describe('omega total (one-factor ML, as lavaan::cfa(std.lv = TRUE))', () => {
  it('HolzingerSwineford1939 x1–x6, N = 301: lavaan 0.6.14 gives the value in expected.txt', () => {
    const rows = readCsvObjects('fixtures/reliability-edge/hs6.csv').map((r) => Object.values(r).map(Number));
    const fit = fitOneFactor(mlCovariance(itemMatrixFromRows(rows)));
    expect(fit.converged).toBe(true);
    expect(Math.abs(fit.omega - expected.hs_omega![0]!)).toBeLessThan(1e-4);
  });

  it('flags a Heywood case: a just-identified model with r12 = r13 = .8, r23 = .5 has θ1 = 1 − .8·.8/.5 = −.28', () => {
    // Hand working: λ1² = r12·r13/r23 = 1.28, λ2 = λ3 = .8/√1.28 = √.5, θ2 = θ3 = .5;
    // Σλ = √1.28 + 2√.5, (Σλ)² = 6.48, Σθ = .72, ω = 6.48 / 7.2 = .9.
    const fit = fitOneFactor([[1, 0.8, 0.8], [0.8, 1, 0.5], [0.8, 0.5, 1]]);
    expect(fit.heywood).toBe(true);
    expect(fit.uniquenesses[0]).toBeCloseTo(-0.28, 6);
    expect(fit.uniquenesses[1]).toBeCloseTo(0.5, 6);
    expect(fit.loadings[0]).toBeCloseTo(Math.sqrt(1.28), 6);
    expect(fit.omega).toBeCloseTo(0.9, 6);
  });
});

describe('bootstrap', () => {
  const m = itemMatrixFromRows(readCsvObjects('fixtures/reliability/wai_sr_complete.csv').map((r) => [1, 2, 10, 12].map((i) => Number(r[`wai${i}`]))));
  it('is reproducible with a seed and changes with another seed', () => {
    const a = bootstrapIntervals(m, 200, 7);
    expect(bootstrapIntervals(m, 200, 7)).toEqual(a);
    expect(bootstrapIntervals(m, 200, 8).alpha).not.toEqual(a.alpha);
  });
  it('gives an interval around the sample alpha', () => {
    const alpha = cronbachAlpha(m).raw;
    const b = bootstrapIntervals(m, 500, 1);
    expect(b.alpha[0]).toBeLessThan(alpha);
    expect(b.alpha[1]).toBeGreaterThan(alpha);
    expect(b.alpha[1] - b.alpha[0]).toBeLessThan(0.2);
    expect(b.failedAlpha).toBe(0);
  });
});

describe('quantile7 (R: quantile(type = 7))', () => {
  it('matches R on c(3, 1, 4, 1, 5, 9, 2, 6)', () => {
    const s = [1, 1, 2, 3, 4, 5, 6, 9];
    expect([0.025, 0.5, 0.975].map((p) => quantile7(s, p))).toEqual(expected.q7!.map((v) => expect.closeTo(v, 12)));
  });
});

describe('weighted moments (a bootstrap resample as draw counts)', () => {
  it('equal the moments of the resample with its rows repeated', () => {
    // 40 rows × 4 items with gaps; a resample drawing some rows 0, 1, 2 or 3 times.
    let s = 7;
    const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    const rows = Array.from({ length: 40 }, () => Array.from({ length: 4 }, () => (rnd() < 0.1 ? NA : 1 + Math.floor(rnd() * 5))));
    const m = itemMatrixFromRows(rows);
    const counts = rows.map(() => Math.floor(rnd() * 4));
    const repeated = itemMatrixFromRows(rows.flatMap((r, i) => Array.from({ length: counts[i]! }, () => r)));
    const a = matrixMoments(repeated);
    const b = weightedMoments(m, counts, columnMeans(m));
    expect(b.rows).toBe(a.rows);
    expect(b.complete.n).toBe(a.complete.n);
    const flat = (x: ItemMoments) => [...x.pairwise.cov.flat(), ...x.pairwise.counts.flat(), ...x.complete.cov.flat(), ...x.rRaw, ...x.means];
    flat(b).forEach((v, i) => expect(v).toBeCloseTo(flat(a)[i]!, 12));
  });

  it('addWeighted gives add()’s sums row after row, bit for bit (gaps, weights 0–3, partial blocks, rows added before)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 70 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.boolean(),
        (k, n, before, seed, rowMeans) => {
          let s = seed;
          const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647;
          const values = Float64Array.from({ length: (n + before) * k }, () => (rnd() < 0.05 ? NA : rnd() < 0.5 ? 1 + Math.floor(rnd() * 7) : rnd() * 10));
          const weights = Array.from({ length: n }, () => Math.floor(rnd() * 4));
          const shift = Float64Array.from({ length: k }, () => 2 + rnd() * 3);
          const a = new MomentAccumulator(k, shift, rowMeans);
          const b = new MomentAccumulator(k, shift, rowMeans);
          for (let i = 0; i < before; i++) {
            a.add(values, (n + i) * k);
            b.add(values, (n + i) * k);
          }
          for (let i = 0; i < n; i++) if (weights[i]! > 0) a.add(values, i * k, weights[i]!);
          b.addWeighted(values, weights, n);
          const sa = a.sums();
          const sb = b.sums();
          expect([sb.rows, sb.full, sb.part, sb.tSum, sb.ttSum]).toEqual([sa.rows, sa.full, sa.part, sa.tSum, sa.ttSum]);
          sa.arrays.forEach((x, i) => expect(Buffer.from(sb.arrays[i]!.buffer).equals(Buffer.from(x.buffer))).toBe(true));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('a factor fit started elsewhere (the whole sample) ends at the same optimum', () => {
    const s = [
      [1.0, 0.5, 0.4, 0.45],
      [0.5, 1.2, 0.5, 0.4],
      [0.4, 0.5, 0.9, 0.35],
      [0.45, 0.4, 0.35, 1.1],
    ];
    const cold = fitOneFactor(s);
    const warm = fitOneFactor(s, { start: { lambda: [0.6, 0.6, 0.6, 0.6], theta: [0.5, 0.5, 0.5, 0.5] } });
    expect(warm.converged).toBe(true);
    expect(warm.omega).toBeCloseTo(cold.omega, 9);
    warm.loadings.forEach((l, i) => expect(l).toBeCloseTo(cold.loadings[i]!, 6));
  });
});
