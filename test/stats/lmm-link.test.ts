/**
 * The mixed-model core with a random intercept per client, and per client and therapist (nested),
 * against lme4 1.1.31 on fixtures/link (fixtures/link/link.R: three optimizers agreeing): the
 * alliance → next-session outcome model fitted to the committed pair tables. Estimates, standard
 * errors and variance components to 1e-4 relative (1e-6 absolute where lme4 puts a variance at 0: a singular fit).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fitMixed } from '../../src/stats/lmm.js';
import { readCsvObjects } from '../helpers/csv.js';

const TERMS = ['intercept', 'P_within', 'P_between', 'Y_lag', 't'];

function therapists(data: string): Map<string, string> {
  const file = data === 'sample' ? 'fixtures/link/sample_admins.csv' : `fixtures/link/${data}.csv`;
  return new Map(readCsvObjects(file).map((r) => [r.client_id!, r.therapist_id!]));
}

function fit(data: string, model: 'plain' | 'therapist' | 'detrend') {
  const rows = readCsvObjects(`fixtures/link/pairs_${data}${model === 'detrend' ? '_detrend' : ''}.csv`);
  const clients = new Map<string, number>();
  const ther = therapists(data);
  const tIds = new Map<string, number>();
  const X: number[] = [];
  const y: number[] = [];
  const group: number[] = [];
  const group2: number[] = [];
  for (const r of rows) {
    if (!clients.has(r.client_id!)) clients.set(r.client_id!, clients.size);
    const t = ther.get(r.client_id!)!;
    if (!tIds.has(t)) tIds.set(t, tIds.size);
    X.push(1, Number(r.P_within), Number(r.P_between), Number(r.Y_lag), Number(r.t));
    y.push(Number(r.Y_next));
    group.push(clients.get(r.client_id!)!);
    group2.push(tIds.get(t)!);
  }
  return fitMixed({ n: y.length, p: 5, y, X, group, groups: clients.size, ...(model === 'therapist' ? { group2, groups2: tIds.size } : {}) });
}

const close = (a: number, b: number) => (Math.abs(b) < 1e-6 ? Math.abs(a - b) < 1e-6 : Math.abs(a - b) / Math.abs(b) < 1e-4);

describe('fitMixed against lme4: Y(t+1) ~ P_within + P_between + Y(t) + t + (1 | client) [+ (1 | therapist)]', () => {
  for (const data of ['sample', 'few_clients_singular', 'unbalanced']) {
    for (const model of ['plain', 'therapist', 'detrend'] as const) {
      it(`${data}, ${model}`, () => {
        const e = Object.fromEntries(readFileSync(`fixtures/link/expected_${data}_${model}.csv`, 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')));
        const f = fit(data, model);
        TERMS.forEach((k, j) => {
          expect(close(f.beta[j]!, Number(e[`fixed_${k}`])), `${k}: ${f.beta[j]} vs ${e[`fixed_${k}`]}`).toBe(true);
          expect(close(f.se[j]!, Number(e[`se_${k}`])), `se ${k}: ${f.se[j]} vs ${e[`se_${k}`]}`).toBe(true);
        });
        expect(close(f.cov1[0]![0]!, Number(e.var_client)), `var_client ${f.cov1[0]![0]} vs ${e.var_client}`).toBe(true);
        expect(close(f.sigma2, Number(e.var_residual)), `var_residual ${f.sigma2} vs ${e.var_residual}`).toBe(true);
        if (model === 'therapist') expect(close(f.var2, Number(e.var_therapist)), `var_therapist ${f.var2} vs ${e.var_therapist}`).toBe(true);
        expect(Math.abs(f.remlcrit - Number(e.remlcrit)) / Number(e.remlcrit)).toBeLessThan(1e-9);
        expect(String(f.singular).toUpperCase()).toBe(e.singular);
      });
    }
  }
});
