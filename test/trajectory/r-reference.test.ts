/**
 * `rapport trajectories` on the sample data against R (fixtures/trajectories/expected.R, R 4.2.2,
 * psych 2.2.9, lme4 1.1.31; see fixtures/trajectories/README.md): per-client first/last/change/
 * mean/slope/RCI/categories, the RCI's SD and alpha at the first administrations, and the therapist
 * ICC from lmer(mean ~ 1 + (1 | therapist)).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readCsvObjects } from '../helpers/csv.js';

const clients = readCsvObjects('fixtures/trajectories/expected_clients.csv');
const cohorts = readCsvObjects('fixtures/trajectories/expected_cohort.csv');

describe.each([
  ['wai_sr_total', 'wai-sr'],
  ['ors_total', 'ors'],
])('%s', async (measure, instrument) => {
  const r = await runCli(['trajectories', 'fixtures/sample/sessions.csv', '-i', instrument, '--format', 'json']);
  const json = JSON.parse(r.stdout) as { cohort: Record<string, number>; trajectories: Array<Record<string, unknown>> };
  const want = clients.filter((c) => c.measure === measure);
  const cohort = cohorts.find((c) => c.measure === measure)!;

  it('has every client', () => {
    expect(r.code, r.stderr).toBe(0);
    expect(json.trajectories.map((t) => t.client_id)).toEqual(want.map((w) => w.client_id));
  });

  it('per-client values equal R (1e-9; slope absolute 1e-9)', () => {
    for (const w of want) {
      const t = json.trajectories.find((x) => x.client_id === w.client_id)!;
      for (const f of ['n_sessions', 'first_session', 'last_session', 'first_score', 'last_score', 'change', 'mean', 'slope', 'rci']) {
        if (w[f] === '') expect(t[f], `${w.client_id} ${f}`).toBeNull();
        else expect(t[f] as number, `${w.client_id} ${f}`).toBeCloseTo(Number(w[f]), 9);
      }
      expect(t.therapist_id).toBe(w.therapist_id);
      expect(t.reliable_change).toBe(w.reliable_change === '' ? null : w.reliable_change);
      if (measure === 'ors_total') expect(t.clinical_change, w.client_id).toBe(w.clinical_change === '' ? null : w.clinical_change);
    }
  });

  it('the RCI parameters equal R: SD of first scores and alpha at the first administrations', () => {
    expect(json.cohort.rci_sd).toBeCloseTo(Number(cohort.rci_sd), 10);
    expect(json.cohort.rci_reliability).toBeCloseTo(Number(cohort.rci_reliability), 10);
    expect(json.cohort.rci_sdiff).toBeCloseTo(Number(cohort.rci_sdiff), 10);
  });

  it('the therapist ICC equals lme4 to 1e-6 (variance components to 1e-5 relative)', () => {
    expect(Math.abs(json.cohort.icc_therapist! - Number(cohort.icc_therapist))).toBeLessThan(1e-6);
    expect(Math.abs(json.cohort.var_therapist! / Number(cohort.var_therapist) - 1)).toBeLessThan(1e-5);
    expect(Math.abs(json.cohort.var_residual! / Number(cohort.var_residual) - 1)).toBeLessThan(1e-5);
    expect(json.cohort.n_clients).toBe(Number(cohort.n_clients));
    expect(json.cohort.n_therapists).toBe(Number(cohort.n_therapists));
  });
});
