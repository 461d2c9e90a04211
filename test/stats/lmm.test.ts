/**
 * The REML fit of a random intercept and slope (src/stats/lmm.ts) against lme4 1.1.31, on the
 * committed fixtures/etr (fixtures/etr/etr.R: three optimizers agreeing to 1e-6). Tolerances: the
 * fixed effects and their standard errors to 1e-6 relative, the REML criterion to 1e-10, the variance
 * components to 1e-4 (the criterion is so flat near its minimum that its last digits decide them;
 * the issue asks 1e-3), and a singular fit recognised as lme4's isSingular does.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fitMixed } from '../../src/stats/lmm.js';
import { minimize } from '../../src/stats/optimize.js';

function dataOf(name: string) {
  const rows = readFileSync(`fixtures/etr/rows_${name}.csv`, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')).filter((r) => r[5] === 'TRUE');
  const ids = new Map<string, number>();
  const y: number[] = [];
  const X: number[] = [];
  const z: number[] = [];
  const group: number[] = [];
  for (const r of rows) {
    if (!ids.has(r[0]!)) ids.set(r[0]!, ids.size);
    const lt = Math.log(Number(r[3]));
    const intake = Number(r[4]);
    y.push(Number(r[2]));
    X.push(1, lt, intake, lt * intake);
    z.push(lt);
    group.push(ids.get(r[0]!)!);
  }
  return { n: y.length, p: 4, y, X, slope: z, group, groups: ids.size };
}

const expected = (name: string): Record<string, string> =>
  Object.fromEntries(readFileSync(`fixtures/etr/expected_${name}.csv`, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',') as [string, string]));

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('fitRandomSlope against lme4::lmer(score ~ log(t) * intake + (1 + log(t) | client), REML = TRUE)', () => {
  it.each(['sample_ors', 'cohort_planted'])('%s: fixed effects, SEs, variance components, REML criterion', (name) => {
    const e = expected(name);
    const d = dataOf(name);
    expect([d.n, d.groups]).toEqual([Number(e.n_obs), Number(e.n_clients)]);
    const fit = fitMixed(d);
    expect(fit.singular).toBe(false);
    expect(fit.converged).toBe(true);
    const fixed = ['fixed_intercept', 'fixed_log_t', 'fixed_intake', 'fixed_log_t_intake'];
    fixed.forEach((k, j) => expect(rel(fit.beta[j]!, Number(e[k])), k).toBeLessThan(1e-6));
    ['se_intercept', 'se_log_t', 'se_intake', 'se_log_t_intake'].forEach((k, j) => expect(rel(fit.se[j]!, Number(e[k])), k).toBeLessThan(1e-6));
    expect(rel(fit.cov1[0]![0]!, Number(e.var_intercept))).toBeLessThan(1e-4);
    expect(rel(fit.cov1[1]![1]!, Number(e.var_slope))).toBeLessThan(1e-4);
    expect(rel(fit.cov1[0]![1]!, Number(e.cov))).toBeLessThan(1e-4);
    expect(rel(fit.sigma2, Number(e.var_residual))).toBeLessThan(1e-5);
    expect(rel(fit.remlcrit, Number(e.remlcrit))).toBeLessThan(1e-10);
  });

  it.each(['cohort_singular', 'cohort_singular_corr'])('%s: singular, as lme4 says, with the same fixed effects', (name) => {
    const e = expected(name);
    const fit = fitMixed(dataOf(name));
    expect(String(fit.singular).toUpperCase()).toBe(e.singular);
    ['fixed_intercept', 'fixed_log_t', 'fixed_intake', 'fixed_log_t_intake'].forEach((k, j) => expect(rel(fit.beta[j]!, Number(e[k])), k).toBeLessThan(1e-5));
    expect(rel(fit.sigma2, Number(e.var_residual))).toBeLessThan(1e-5);
    expect(rel(fit.remlcrit, Number(e.remlcrit))).toBeLessThan(1e-9);
  });

  it('refuses data with no more observations than random effects, as lme4 does', () => {
    expect(() => fitMixed({ n: 4, p: 1, y: [1, 2, 3, 4], X: [1, 1, 1, 1], slope: [0, 1, 0, 1], group: [0, 0, 1, 1], groups: 2 })).toThrow(/random effects/);
  });
});

describe('minimize (Nelder–Mead)', () => {
  it('finds the minimum of the Rosenbrock function at (1, 1) and of a shifted quadratic bowl', () => {
    const rosen = minimize(([x, y]) => 100 * (y! - x! * x!) ** 2 + (1 - x!) ** 2, [-1.2, 1]);
    expect(rosen.converged).toBe(true);
    expect(rosen.x[0]).toBeCloseTo(1, 6);
    expect(rosen.x[1]).toBeCloseTo(1, 6);
    const bowl = minimize((v) => v.reduce((s, x, i) => s + (i + 1) * (x - i) ** 2, 0), [5, 5, 5, 5]);
    bowl.x.forEach((x, i) => expect(x).toBeCloseTo(i, 6));
  });
});
