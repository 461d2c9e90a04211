/** `rapport trajectories` end to end: files and columns, problems, options, errors. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readCsvObjects } from '../helpers/csv.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const SAMPLE = 'fixtures/sample/sessions.csv';

describe('trajectories on the sample (ORS)', async () => {
  const dir = join(tempDir(), 'out');
  const r = await runCli(['trajectories', SAMPLE, '-i', 'ors', '-o', dir]);

  it('writes the five files, and nothing else', () => {
    expect(r.code, r.stderr).toBe(0);
    expect(listDir(dir)).toEqual(['.rapport-manifest.json', 'attention.csv', 'cohort.json', 'events.csv', 'problems.csv', 'therapists.csv', 'trajectories.csv']);
  });
  it('trajectories.csv has the contract columns, with clinical_change because the ORS has a cutoff', () => {
    const header = readFileSync(join(dir, 'trajectories.csv'), 'utf8').split('\n')[0]!.split(',');
    expect(header).toEqual(['client_id', 'therapist_id', 'n_sessions', 'first_session', 'last_session', 'first_score', 'last_score', 'change', 'rci', 'reliable_change', 'slope', 'mean', 'n_ruptures', 'n_repairs', 'n_sudden_gains', 'n_sudden_losses', 'expected_last', 'band_last', 'off_track_sessions', 'not_on_track', 'clinical_change']);
    expect(readCsvObjects(join(dir, 'trajectories.csv'))).toHaveLength(300);
  });
  it('events.csv and therapists.csv have their columns; event counts add up per client', () => {
    const events = readCsvObjects(join(dir, 'events.csv'));
    expect(Object.keys(events[0]!)).toEqual(['client_id', 'session', 'type', 'score_before', 'score_after', 'magnitude', 'reversal', 'expected', 'band']);
    const clients = readCsvObjects(join(dir, 'trajectories.csv'));
    for (const [type, col] of [['sudden_gain', 'n_sudden_gains'], ['rupture', 'n_ruptures'], ['repair', 'n_repairs']] as const) {
      expect(events.filter((e) => e.type === type).length).toBe(clients.reduce((a, c) => a + Number(c[col]), 0));
    }
    expect(Object.keys(readCsvObjects(join(dir, 'therapists.csv'))[0]!)).toEqual(['therapist_id', 'clients', 'sessions', 'mean_score', 'clients_improved', 'clients_deteriorated', 'ruptures', 'repairs']);
  });
  it('finds the sample\'s planted sudden gains in the ORS', () => {
    const gains = readCsvObjects(join(dir, 'events.csv')).filter((e) => e.type === 'sudden_gain');
    expect(gains.length).toBeGreaterThanOrEqual(5);
    for (const g of gains) expect(Number(g.score_after) - Number(g.score_before)).toBeGreaterThan(0);
  });
  it('cohort.json states every parameter and where the RCI values came from', () => {
    const c = JSON.parse(readFileSync(join(dir, 'cohort.json'), 'utf8'));
    for (const k of ['rci_sd', 'rci_reliability', 'rci_sdiff', 'rci_cutoff', 'sudden_gain_cutoff', 'rupture_sd_inter', 'icc_therapist', 'var_therapist', 'var_residual', 'n_clients', 'n_therapists']) expect(c, k).toHaveProperty(k);
    expect(c.rci_reliability_source).toMatch(/first valid administration/);
    const sessions = readCsvObjects(SAMPLE).map((row) => Number(row.session));
    // The ORS is an outcome measure: ruptures (alliance events) are not looked for.
    expect(c.parameters).toMatchObject({ rupture_method: null, repair_window: null, clinical_cutoff: 25, cutoff_is_clinical: true, session_grid: [Math.min(...sessions), Math.max(...sessions)] });
  });
  it('reports the duplicated administration with both lines (never silently)', () => {
    const problems = readCsvObjects(join(dir, 'problems.csv')).filter((p) => p.code === 'DUPLICATE_SESSION');
    expect(problems.map((p) => p.line)).toEqual(['1657', '1658']);
    expect(r.stderr).toMatch(/problem\(s\) listed in/);
  });
});

describe('trajectories options', () => {
  it('--format json prints everything to standard output', async () => {
    const r = await runCli(['trajectories', SAMPLE, '-i', 'wai-sr', '--format', 'json']);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual(['cohort', 'attention', 'trajectories', 'events', 'therapists', 'problems']);
    expect(json.trajectories[0]).not.toHaveProperty('clinical_change'); // no WAI-SR cutoff
  });
  it('--rupture-method and --repair-window change what counts', async () => {
    const count = async (...extra: string[]) => {
      const j = JSON.parse((await runCli(['trajectories', SAMPLE, '-i', 'wai-sr', '--format', 'json', ...extra])).stdout);
      return { ruptures: j.events.filter((e: { type: string }) => e.type === 'rupture').length, repairs: j.events.filter((e: { type: string }) => e.type === 'repair').length, params: j.cohort.parameters };
    };
    const gumz = await count();
    const stiles = await count('--rupture-method', 'stiles');
    const strauss = await count('--rupture-method', 'strauss');
    expect(gumz.ruptures).toBeLessThanOrEqual(Math.min(stiles.ruptures, strauss.ruptures)); // gumz takes the larger threshold
    expect((await count('--repair-window', '1')).repairs).toBeLessThanOrEqual(gumz.repairs);
    expect(stiles.params.rupture_method).toBe('stiles');
  });
  it('--reliability and --sd override the estimates; --cutoff adds clinical_change', async () => {
    const j = JSON.parse((await runCli(['trajectories', SAMPLE, '-i', 'wai-sr', '--format', 'json', '--reliability', '0.9', '--sd', '7', '--cutoff', '45'])).stdout);
    expect(j.cohort).toMatchObject({ rci_sd: 7, rci_reliability: 0.9, rci_sd_source: '--sd', rci_reliability_source: '--reliability' });
    expect(j.cohort.rci_sdiff).toBeCloseTo(Math.SQRT2 * 7 * Math.sqrt(0.1), 12);
    expect(j.trajectories[0]).toHaveProperty('clinical_change');
  });
  it('warns when there are fewer than 10 therapists', async () => {
    const dir = tempDir();
    const f = join(dir, 'few.csv');
    const rows = ['client_id,therapist_id,session,score'];
    for (let c = 0; c < 12; c++) for (let s = 1; s <= 4; s++) rows.push(`C${c},T${c % 3},${s},${10 + c + s * (c % 2)}`);
    writeFileSync(f, `${rows.join('\n')}\n`);
    const r = await runCli(['trajectories', f, '--score-column', 'score', '--higher-is-better', '--reliability', '0.8', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/only 3 therapists/);
  });
  it('rows without a client or a whole-number session are problems, not crashes', async () => {
    const dir = tempDir();
    const f = join(dir, 'bad.csv');
    writeFileSync(f, 'client_id,session,score\nA,1,10\nA,two,11\n,3,12\nA,3,x\nA,4,14\n');
    const j = JSON.parse((await runCli(['trajectories', f, '--score-column', 'score', '--higher-is-better', '--reliability', '0.8', '--sd', '5', '--format', 'json'])).stdout);
    expect(j.problems.map((p: { code: string; line: number }) => `${p.line}:${p.code}`)).toEqual(['3:SESSION_NOT_INTEGER', '4:CLIENT_MISSING', '5:SCORE_NOT_NUMERIC']);
    expect(j.trajectories[0]).toMatchObject({ client_id: 'A', n_sessions: 2, change: 4 });
  });
});

describe('trajectories usage errors (exit 2)', () => {
  it.each([
    [['trajectories', SAMPLE, '--format', 'json']],
    [['trajectories', SAMPLE, '-i', 'ors', '--score-column', 'x', '--format', 'json']],
    [['trajectories', SAMPLE, '--score-column', 'session', '--format', 'json']],
    [['trajectories', SAMPLE, '--score-column', 'session', '--higher-is-better', '--format', 'json']],
    [['trajectories', SAMPLE, '-i', 'ors']],
    [['trajectories', SAMPLE, '-i', 'ors', '--higher-is-better', '--format', 'json']],
    [['trajectories', SAMPLE, '-i', 'ors', '--rupture-method', 'big', '--format', 'json']],
    [['trajectories', SAMPLE, '-i', 'ors', '--reliability', '1.5', '--format', 'json']],
    [['trajectories', SAMPLE, '-i', 'ors', '--scale', 'bond', '--format', 'json']],
    [['trajectories', SAMPLE, '-i', 'ors,srs', '--format', 'json']],
  ])('%j', async (argv) => {
    const r = await runCli(argv);
    expect(r.code, r.stderr).toBe(2);
  });
  it('a missing --client column is unusable input (exit 3) with a suggestion', async () => {
    const r = await runCli(['trajectories', SAMPLE, '-i', 'ors', '--client', 'clientid', '--format', 'json']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('did you mean "client_id"');
  });
});
