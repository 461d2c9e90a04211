/**
 * `rapport link` end to end on the sample: the alliance → next-session outcome model equals
 * lme4::lmer on the same administrations (fixtures/link/link.R, three optimizers agreeing), with
 * --therapist and --detrend; and the errors a user meets.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readCsvObjects } from '../helpers/csv.js';

const SAMPLE = 'fixtures/sample/sessions.csv';
const TERMS: Record<string, string> = { intercept: 'intercept', predictor_within: 'P_within', predictor_between: 'P_between', outcome_lag: 'Y_lag', session: 't' };

const close = (got: number, want: number, what: string) => expect(Math.abs(got - want), what).toBeLessThanOrEqual(Math.max(1e-4 * Math.abs(want), 1e-6));

describe('rapport link on the sample against lme4', () => {
  for (const [model, flags] of [['plain', []], ['therapist', ['--therapist']], ['detrend', ['--detrend']]] as const) {
    it(`${model}: estimates, SEs, variance components and n equal lmer's to 1e-4`, async () => {
      const r = await runCli(['link', SAMPLE, '--predictor', 'wai-sr', '--outcome', 'ors', '--format', 'json', ...flags]);
      expect(r.code, r.stderr).toBe(0);
      const got = JSON.parse(r.stdout) as { coefficients: Array<{ term: string; estimate: number; se: number }>; variance: Record<string, number>; n: Record<string, number>; sentence: string };
      const want = Object.fromEntries(readCsvObjects(`fixtures/link/expected_sample_${model}.csv`).map((x) => [x.term!, Number(x.value)]));
      for (const c of got.coefficients) {
        close(c.estimate, want[`fixed_${TERMS[c.term]}`]!, `${c.term} estimate`);
        close(c.se, want[`se_${TERMS[c.term]}`]!, `${c.term} se`);
      }
      close(got.variance.client!, want.var_client!, 'client variance');
      close(got.variance.residual!, want.var_residual!, 'residual variance');
      if (model === 'therapist') close(got.variance.therapist!, want.var_therapist!, 'therapist variance');
      expect(got.n.clients).toBe(want.n_clients);
      expect(got.n.pairs).toBe(want.n_pairs);
      expect(got.sentence).toMatch(/^Within clients, a session in which wai-sr\/total was 1 point above its own (mean|linear trend)/);
    });
  }

  it('CSV by default; Markdown with the variance components and a sentence to quote; a summary on stderr', async () => {
    const csv = await runCli(['link', SAMPLE, '--predictor', 'wai-sr', '--outcome', 'ors']);
    expect(readCsvObjects(csv.stdout, true).map((x) => x.term)).toEqual(['intercept', 'predictor_within', 'predictor_between', 'outcome_lag', 'session']);
    expect(csv.stderr).toMatch(/296 clients, 1752 session pairs/);
    const md = await runCli(['link', SAMPLE, '--predictor', 'wai-sr/bond', '--outcome', 'ors', '--format', 'md']);
    expect(md.stdout).toMatch(/^# wai-sr\/bond → next-session ors\/total/);
    expect(md.stdout).toContain('Variance components: client');
  });

  it('refuses the same measure twice, and a missing measure, with how to fix it', async () => {
    const same = await runCli(['link', SAMPLE, '--predictor', 'wai-sr', '--outcome', 'wai-sr/total']);
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/the same measure[\s\S]*--predictor wai-sr --outcome ors/);
    const none = await runCli(['link', SAMPLE, '--predictor', 'wai-sr']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--outcome <instrument> or --outcome-column/);
  });
});
