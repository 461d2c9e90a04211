/**
 * Within- and between-client reliability against lavaan 0.6.14 (fixtures/multilevel/multilevel.R:
 * two BFGS runs agreeing to 1e-6) and against Lai's (2021) published worked example, and what a
 * user sees of it: the columns, the warnings, the bootstrap that resamples clients.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alphaBetween, alphaWithin, fitOneFactor, fitSaturated, omegaLevel, twoLevelStats } from '../../src/stats/twolevel.js';
import { runCli } from '../helpers/cli.js';
import { readCsvObjects } from '../helpers/csv.js';
import { tempDir } from '../helpers/tmp.js';

const DIR = 'fixtures/multilevel';
const expected = (dataset: string, scale: string): Record<string, string> =>
  Object.fromEntries(readCsvObjects(`${DIR}/expected.csv`).filter((r) => r.dataset === dataset && r.scale === scale).map((r) => [r.quantity!, r.value!]));

/** The two-level statistics of a committed data set (client_id, then item columns). */
function statsOf(file: string, items: string[]) {
  const rows = readCsvObjects(file);
  const k = items.length;
  const ids = new Map<string, number>();
  const sums: number[] = [];
  const counts: number[] = [];
  const cross = new Float64Array(k * k);
  for (const r of rows) {
    let j = ids.get(r.client_id!);
    if (j === undefined) {
      ids.set(r.client_id!, (j = ids.size));
      counts.push(0);
      sums.push(...new Array<number>(k).fill(0));
    }
    counts[j]!++;
    const y = items.map((i) => Number(r[i]));
    y.forEach((v, a) => {
      sums[j! * k + a]! += v;
      for (let b = 0; b <= a; b++) cross[a * k + b]! += v * y[b]!;
    });
  }
  return twoLevelStats(k, Float64Array.from(sums), counts, cross, new Array<number>(k).fill(0));
}

describe('two-level models against lavaan (fixtures/multilevel)', () => {
  for (const [dataset, items] of [['simulated', ['i1', 'i2', 'i3', 'i4', 'i5', 'i6']], ['awkward', ['i1', 'i2', 'i3', 'i4', 'i5']]] as const) {
    it(`${dataset}: α_W, α_B (saturated) and ω_W, ω_B (one factor) equal lavaan's to 1e-6`, () => {
      const want = expected(dataset, 'all');
      const stats = statsOf(`${DIR}/${dataset}.csv`, [...items]);
      expect(stats.rows).toBe(Number(want.n_rows));
      expect(stats.clusters).toBe(Number(want.n_clusters));
      expect(stats.harmonicSize).toBeCloseTo(Number(want.harmonic_n), 12);
      const sat = fitSaturated(stats);
      expect(sat.converged).toBe(true);
      expect(sat.logLikelihood).toBeCloseTo(Number(want.logl_sat), 6);
      expect(Math.abs(alphaWithin(sat.sigmaWithin) - Number(want.alpha_within))).toBeLessThan(1e-6);
      expect(Math.abs(alphaBetween(sat.sigmaWithin, sat.sigmaBetween, stats.harmonicSize) - Number(want.alpha_between))).toBeLessThan(1e-6);
      const one = fitOneFactor(stats, { within: sat.sigmaWithin, between: sat.sigmaBetween });
      expect(one.converged).toBe(true);
      expect(one.logLikelihood).toBeCloseTo(Number(want.logl_cfa), 6);
      expect(Math.abs(omegaLevel(one.within) - Number(want.omega_within))).toBeLessThan(1e-6);
      expect(Math.abs(omegaLevel(one.between) - Number(want.omega_between))).toBeLessThan(1e-6);
      expect(one.between.psi).toBeCloseTo(Number(want.psi_between), 5);
      expect(one.between.theta.some((t) => t < 0) || one.between.psi < 0).toBe(want.heywood_between === 'TRUE');
    });
  }

  it("Lai's (2021) worked example on lavaan's Demo.twolevel: lavaan's precise optimum to 1e-7, Lai's published values (lavaan's default nlminb) to 5e-6", () => {
    const stats = statsOf(`${DIR}/demo_twolevel.csv`, ['y1', 'y2', 'y3']);
    expect(stats.harmonicSize).toBeCloseTo(9.6, 10);
    const sat = fitSaturated(stats);
    const want = Object.fromEntries(readCsvObjects(`${DIR}/demo_expected.csv`).map((r) => [`${r.fit}/${r.quantity}`, Number(r.value)]));
    const aw = alphaWithin(sat.sigmaWithin);
    const ab = alphaBetween(sat.sigmaWithin, sat.sigmaBetween, stats.harmonicSize);
    expect(Math.abs(aw - want['bfgs/alpha_within']!)).toBeLessThan(1e-7);
    expect(Math.abs(ab - want['bfgs/alpha_between']!)).toBeLessThan(1e-7);
    expect(sat.logLikelihood).toBeCloseTo(want['bfgs/logl']!, 7);
    // Lai's printed .6682291 and .7613526: nlminb stops about 4e-6 short of the optimum.
    expect(Math.abs(aw - 0.6682291)).toBeLessThan(5e-6);
    expect(Math.abs(ab - 0.7613526)).toBeLessThan(5e-6);
  });
});

describe('reliability with rows nested in clients (what a user sees)', () => {
  const SAMPLE = 'fixtures/sample/sessions.csv';

  it('the sample: the within/between columns equal lavaan on the same rows, with the warnings that go with them', async () => {
    const r = await runCli(['reliability', SAMPLE, '-i', 'wai-sr', '--format', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { reliability: Array<Record<string, unknown> & { warnings: Array<{ code: string }> }>; method: Record<string, unknown> };
    expect(out.method.client).toBe('client_id');
    for (const s of out.reliability) {
      const want = expected('sample', s.scale as string);
      expect(s.clients, `${s.scale} clients`).toBe(Number(want.n_clusters));
      expect(s.mean_rows_per_client as number).toBeCloseTo(Number(want.n_rows) / Number(want.n_clusters), 12);
      for (const q of ['alpha_within', 'alpha_between', 'omega_within', 'omega_between']) {
        expect(Math.abs((s[q] as number) - Number(want[q])), `${s.scale} ${q}`).toBeLessThan(1e-5);
      }
      const codes = s.warnings.map((w) => w.code);
      expect(codes).toContain('NESTED_ROWS');
      if (want.heywood_between === 'TRUE' || Number(want.omega_between) > 1) expect(codes, `${s.scale}`).toContain('MULTILEVEL_HEYWOOD');
      if (Number(want.min_eigen_sigma_between) < 0) expect(codes, `${s.scale}`).toContain('BETWEEN_NOT_PSD');
    }
  });

  it('CSV has the columns; Markdown has the within/between table and says why the Feldt interval is too narrow', async () => {
    const csv = await runCli(['reliability', SAMPLE, '-i', 'wai-sr', '--scale', 'task']);
    const row = readCsvObjects(csv.stdout, true)[0]!;
    expect(Object.keys(row).slice(-6)).toEqual(['clients', 'mean_rows_per_client', 'alpha_within', 'alpha_between', 'omega_within', 'omega_between']);
    expect(row.clients).toBe('300');
    const md = await runCli(['reliability', SAMPLE, '-i', 'wai-sr', '--format', 'md']);
    expect(md.stdout).toContain('## Within and between clients (client\\_id)');
    expect(md.stdout).toMatch(/\| wai-sr \| total \| 1950 \| 299 \| 6\.5 \| \.71 \| \.90 ⚠ \| \.71 \| \.99 \|/);
    expect(md.stdout).toContain('too narrow');
    expect(md.stderr).toMatch(/Heywood case in the between-client level/);
  });

  it('a Heywood solution and a negative α_B are never given without a warning (the awkward data set)', async () => {
    const dir = tempDir();
    const def = join(dir, 'five.json');
    writeFileSync(def, JSON.stringify({ id: 'five', name: 'Five items', responseScale: { min: 1, max: 5 }, higherIsBetter: true, items: [1, 2, 3, 4, 5].map((i) => ({ id: `i${i}`, column: `i${i}` })), scales: [{ id: 'all', name: 'All', items: ['i1', 'i2', 'i3', 'i4', 'i5'], method: 'mean' }] }));
    const r = await runCli(['reliability', `${DIR}/awkward.csv`, '-i', def, '--format', 'json']);
    expect(r.code).toBe(0);
    const s = (JSON.parse(r.stdout) as { reliability: Array<Record<string, number> & { warnings: Array<{ code: string; message: string }> }> }).reliability[0]!;
    const want = expected('awkward', 'all');
    expect(Math.abs(s.alpha_between! - Number(want.alpha_between))).toBeLessThan(1e-5);
    expect(s.warnings.find((w) => w.code === 'BETWEEN_NOT_PSD')?.message).toMatch(/here -0\.049, outside 0–1/);
    // ω_B = .958 looks ordinary, but ψ_B < 0 and θ_B < 0 (lavaan's solution): the warning must say so.
    expect(Math.abs(s.omega_between! - Number(want.omega_between))).toBeLessThan(1e-5);
    expect(Math.abs(s.omega_within! - Number(want.omega_within))).toBeLessThan(1e-5);
    const heywood = s.warnings.find((w) => w.code === 'MULTILEVEL_HEYWOOD');
    expect(heywood?.message).toMatch(/between-client level .*negative factor variance/);
  });

  it('--boot resamples clients when rows are nested, and the interval is wider than one that resamples rows', async () => {
    const dir = tempDir();
    const noClient = join(dir, 'no-client.csv');
    writeFileSync(noClient, readFileSync(SAMPLE, 'utf8').replace(/^client_id,/, 'person,'));
    const nested = readCsvObjects((await runCli(['reliability', SAMPLE, '-i', 'wai-sr', '--scale', 'total', '--boot', '300', '--seed', '3'])).stdout, true)[0]!;
    const flat = readCsvObjects((await runCli(['reliability', noClient, '-i', 'wai-sr', '--scale', 'total', '--boot', '300', '--seed', '3'])).stdout, true)[0]!;
    const named = readCsvObjects((await runCli(['reliability', noClient, '-i', 'wai-sr', '--scale', 'total', '--boot', '300', '--seed', '3', '--client', 'person'])).stdout, true)[0]!;
    expect(nested.boot_unit).toBe('clients');
    expect(flat.boot_unit).toBe('rows');
    expect(flat.alpha_within).toBe('');
    expect(named).toEqual(nested);
    const width = (r: Record<string, string>) => Number(r.boot_alpha_hi) - Number(r.boot_alpha_lo);
    expect(width(nested)).toBeGreaterThan(1.3 * width(flat));
  });

  it('--no-client (reliability) and --no-two-level (report) leave the two-level fits out', async () => {
    const r = await runCli(['reliability', SAMPLE, '-i', 'wai-sr', '--scale', 'task', '--no-client', '--format', 'json']);
    const s = (JSON.parse(r.stdout) as { reliability: Array<Record<string, unknown> & { warnings: Array<{ code: string }> }> }).reliability[0]!;
    expect(s.clients).toBeNull();
    expect(s.multilevel).toBeUndefined();
    expect(s.warnings.map((w) => w.code)).not.toContain('NESTED_ROWS');
    const dir = tempDir();
    const rep = await runCli(['report', SAMPLE, '-i', 'wai-sr', '-o', join(dir, 'out'), '--no-two-level']);
    expect(rep.code, rep.stderr).toBe(0);
    expect(readFileSync(join(dir, 'out', 'report.md'), 'utf8')).not.toContain('Within and between clients');
    expect(readCsvObjects(join(dir, 'out', 'reliability.csv'))[0]!.alpha_within).toBe('');
  });

  it('one row per client: no within/between coefficients and no nesting warning; an unknown --client is an error', async () => {
    const dir = tempDir();
    const first = join(dir, 'first.csv');
    const lines = readFileSync(SAMPLE, 'utf8').split('\n');
    const seen = new Set<string>();
    writeFileSync(first, [lines[0], ...lines.slice(1).filter((l) => l !== '' && !seen.has(l.split(',')[0]!) && seen.add(l.split(',')[0]!))].join('\n'));
    const r = await runCli(['reliability', first, '-i', 'wai-sr', '--scale', 'total', '--format', 'json']);
    const s = (JSON.parse(r.stdout) as { reliability: Array<Record<string, unknown> & { warnings: Array<{ code: string }>; multilevel: { reason: string } }> }).reliability[0]!;
    expect(s.alpha_within).toBeNull();
    expect(s.multilevel.reason).toMatch(/one complete row/);
    expect(s.warnings.map((w) => w.code)).not.toContain('NESTED_ROWS');
    const bad = await runCli(['reliability', SAMPLE, '-i', 'wai-sr', '--client', 'clientid']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/--client clientid: .* has no such column[\s\S]*client_id/);
  });
});
