/** Trajectory building blocks with hand-worked expectations, and the ICC against lme4 on small data. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyClinicalChange, classifyReliableChange, isClinical, standardErrorOfDifference } from '../../src/trajectory/change.js';
import { findRuptures, pooledDifferenceSd, ruptureThreshold } from '../../src/trajectory/ruptures.js';
import { linearRegression } from 'simple-statistics';
import { olsSlope, summariseSeries } from '../../src/trajectory/series.js';
import { AdminTable } from '../../src/trajectory/table.js';
import { therapistIcc } from '../../src/trajectory/therapist.js';

const obs = (scores: number[]) => ({ session: scores.map((_, i) => i + 1), score: scores });

describe('reliable change (Jacobson & Truax, 1991)', () => {
  it('S_diff = √2 · SD · √(1 − r): SD 7.5, r .88 -> 3.6742', () => {
    expect(standardErrorOfDifference(7.5, 0.88)).toBeCloseTo(Math.SQRT2 * 7.5 * Math.sqrt(0.12), 12);
    expect(standardErrorOfDifference(7.5, 0.88)).toBeCloseTo(3.6742, 4);
  });
  it('classifies in the direction of improvement', () => {
    expect(classifyReliableChange(2.0, true)).toBe('improved');
    expect(classifyReliableChange(1.95, true)).toBe('no_reliable_change');
    expect(classifyReliableChange(-1.96, true)).toBe('deteriorated');
    expect(classifyReliableChange(-2.5, false)).toBe('improved');
    expect(classifyReliableChange(2.5, false)).toBe('deteriorated');
  });
  it('clinical range honours the side of the cutoff (ORS ≤ 25; SRS < 36)', () => {
    expect(isClinical(25, 25, true, true)).toBe(true);
    expect(isClinical(25.1, 25, true, true)).toBe(false);
    expect(isClinical(36, 36, true, false)).toBe(false);
    expect(isClinical(35.9, 36, true, false)).toBe(true);
    expect(isClinical(20, 14, false, true)).toBe(true); // lower is better: above the cutoff is clinical
  });
  it('Jacobson–Truax categories', () => {
    expect(classifyClinicalChange('improved', true, false)).toBe('recovered');
    expect(classifyClinicalChange('improved', true, true)).toBe('improved');
    expect(classifyClinicalChange('improved', false, false)).toBe('improved');
    expect(classifyClinicalChange('no_reliable_change', true, false)).toBe('unchanged');
    expect(classifyClinicalChange('deteriorated', false, true)).toBe('deteriorated');
  });
});

describe('series', () => {
  it('leaves out every row of a duplicated session and reports both lines', () => {
    const rows = [
      { client: 'A', session: 1, score: 10, therapist: 'T', line: 2 },
      { client: 'A', session: 2, score: 12, therapist: 'T', line: 3 },
      { client: 'A', session: 2, score: 20, therapist: 'T', line: 4 },
      { client: 'A', session: 3, score: 14, therapist: 'T', line: 5 },
    ];
    const { series, duplicates } = AdminTable.of(rows).buildSeries();
    expect([...series.session]).toEqual([1, 3]);
    expect([...series.score]).toEqual([10, 14]);
    expect(duplicates).toEqual([{ client: 'A', session: 2, lines: [3, 4] }]);
  });
  it('summary: slope by OLS on session numbers (hand: sessions 1, 2, 4 with 10, 12, 16 -> slope 2)', () => {
    // x̄ = 7/3, ȳ = 38/3; Sxy = (−4/3)(−8/3) + (−1/3)(−2/3) + (5/3)(10/3) = 84/9; Sxx = 16/9 + 1/9 + 25/9 = 42/9 -> 2
    const s = summariseSeries({ session: [1, 2, 4], score: [10, 12, 16] });
    expect(s.slope).toBeCloseTo(2, 12);
    expect(s).toMatchObject({ nSessions: 3, firstScore: 10, lastScore: 16, change: 6, firstSession: 1, lastSession: 4 });
    expect(s.mean).toBeCloseTo(38 / 3, 12);
  });
  it('the slope is simple-statistics\' linearRegression, bit for bit', () => {
    let seed = 7;
    const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let t = 0; t < 2000; t++) {
      const n = 2 + Math.floor(next() * 30);
      const x = Array.from({ length: n }, (_, i) => i + 1 + Math.floor(next() * 3));
      const y = Array.from({ length: n }, () => next() * 60);
      expect(olsSlope(x, y)).toBe(linearRegression(x.map((xi, i) => [xi, y[i]!])).m);
    }
  });
  it('no slope under 3 scores, no change under 2', () => {
    expect(summariseSeries(obs([5, 6])).slope).toBeNull();
    expect(summariseSeries(obs([5])).change).toBeNull();
  });
});

describe('ruptures and repairs (hand-worked series)', () => {
  // A = 50, 52, 41, 45, 53, 52: mean 48.833, Σ(A − mean)² = 114.833, SD (n − 1) = √(114.833/5) = 4.7924; 2·SD_intra = 9.585.
  const A = obs([50, 52, 41, 45, 53, 52]);
  it('stiles: 52 -> 41 is a drop of 11 ≥ 2·SD_intra (9.58): a rupture at session 3, repaired at session 5 (53 ≥ 52)', () => {
    const r = findRuptures(A, { method: 'stiles', sdInter: null, higherIsBetter: true, repairWindow: 3 });
    expect(r.sdIntra).toBeCloseTo(4.7924, 4);
    expect(r.events).toEqual([
      { type: 'rupture', session: 3, before: 52, after: 41, magnitude: 11 },
      { type: 'repair', session: 5, before: 41, after: 53, magnitude: 12 },
    ]);
  });
  it('a repair must come within the window: W = 1 finds none (45 < 52)', () => {
    const r = findRuptures(A, { method: 'stiles', sdInter: null, higherIsBetter: true, repairWindow: 1 });
    expect(r).toMatchObject({ ruptures: 1, repairs: 0 });
  });
  it('strauss: 1·SD_inter; with SD_inter = 3 every drop of 3 or more counts (52 -> 41 only; 53 -> 52 is 1)', () => {
    const r = findRuptures(A, { method: 'strauss', sdInter: 3, higherIsBetter: true, repairWindow: 3 });
    expect(r.ruptures).toBe(1);
    expect(ruptureThreshold('strauss', 4.7924, 3)).toBe(3);
  });
  it('gumz: the larger of 2·SD_intra and SD_inter', () => {
    expect(ruptureThreshold('gumz', 4, 3)).toBe(8);
    expect(ruptureThreshold('gumz', 1, 3)).toBe(3);
    expect(ruptureThreshold('gumz', null, 3)).toBe(3);
    expect(findRuptures(A, { method: 'gumz', sdInter: 12, higherIsBetter: true, repairWindow: 3 }).ruptures).toBe(0);
  });
  it('mirrors when lower is better: a rise is a rupture', () => {
    const r = findRuptures(obs([10, 9, 20, 15, 8]), { method: 'strauss', sdInter: 5, higherIsBetter: false, repairWindow: 3 });
    expect(r.events).toEqual([
      { type: 'rupture', session: 3, before: 9, after: 20, magnitude: 11 },
      { type: 'repair', session: 5, before: 20, after: 8, magnitude: 12 },
    ]);
  });
  it('pooled SD of consecutive differences over clients', () => {
    // differences: 2, −11, 4, 8, −1 and 3 -> SD (n − 1)
    const d = [2, -11, 4, 8, -1, 3];
    const m = d.reduce((a, b) => a + b) / d.length;
    const sd = Math.sqrt(d.reduce((a, b) => a + (b - m) ** 2, 0) / (d.length - 1));
    expect(pooledDifferenceSd({ start: Int32Array.from([0, 6, 8]), score: Float64Array.from([...A.score, 1, 4]) })).toBeCloseTo(sd, 12);
  });
});

describe('therapist ICC (REML) against lme4 1.1.31 (fixtures/trajectories-edge/icc.R)', () => {
  const lines = readFileSync('fixtures/trajectories-edge/icc_expected.txt', 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  it('unbalanced groups', () => {
    const r = therapistIcc([10, 12, 11, 15, 17, 16, 18, 9, 8, 20, 22, 21, 19], ['a', 'a', 'a', 'b', 'b', 'b', 'b', 'c', 'c', 'd', 'd', 'd', 'd'])!;
    expect(Math.abs(r.icc - lines[0]![0]!)).toBeLessThan(1e-6);
    expect(r.varTherapist / lines[0]![1]! - 1).toBeCloseTo(0, 5);
    expect(r.varResidual / lines[0]![2]! - 1).toBeCloseTo(0, 5);
  });
  it('a singular fit: therapist variance 0', () => {
    const r = therapistIcc([1, 5, 3, 2, 4, 3, 5, 1], ['a', 'a', 'b', 'b', 'c', 'c', 'd', 'd'])!;
    expect(r.icc).toBeLessThan(1e-6);
    expect(r.varResidual).toBeCloseTo(lines[1]![2]!, 5);
  });
  it('cannot be estimated with one therapist, or one client per therapist', () => {
    expect(therapistIcc([1, 2, 3], ['a', 'a', 'a'])).toBeNull();
    expect(therapistIcc([1, 2, 3], ['a', 'b', 'c'])).toBeNull();
  });
});
