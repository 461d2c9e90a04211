/** `rapport reliability` end to end: formats, grouping, bootstrap, warnings, errors. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readCsvObjects } from '../helpers/csv.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const SAMPLE = 'fixtures/sample/sessions.csv';
const WAIS = 'fixtures/reliability/wai_s_missing.csv';

describe('reliability output', () => {
  it('CSV has the contract columns, one row per scale', async () => {
    const r = await runCli(['reliability', SAMPLE, '-i', 'wai-sr']);
    expect(r.code).toBe(0);
    const header = r.stdout.split('\n')[0]!.split(',');
    expect(header.slice(0, 20)).toEqual(['instrument', 'scale', 'n', 'k', 'alpha', 'alpha_std', 'g6', 'average_r', 'median_r', 'sn', 'alpha_se', 'feldt_lo', 'feldt_hi', 'duhachek_lo', 'duhachek_hi', 'omega_total', 'boot_alpha_lo', 'boot_alpha_hi', 'boot_omega_lo', 'boot_omega_hi']);
    expect(readCsvObjects(r.stdout, true).map((x) => x.scale)).toEqual(['task', 'bond', 'goal', 'total']);
  });

  it('--items-out writes the item table with the contract columns', async () => {
    const dir = tempDir();
    const items = join(dir, 'items.csv');
    const r = await runCli(['reliability', SAMPLE, '-i', 'wai-sr', '--scale', 'task', '-o', join(dir, 'scales.csv'), '--items-out', items]);
    expect(r.code).toBe(0);
    const rows = readCsvObjects(items);
    expect(Object.keys(rows[0]!)).toEqual(['instrument', 'scale', 'item', 'n', 'mean', 'sd', 'r_raw', 'r_std', 'r_cor', 'r_drop', 'alpha_if_deleted', 'alpha_std_if_deleted', 'missing', 'column']);
    expect(rows.map((x) => x.item)).toEqual(['1', '2', '10', '12']);
    expect(listDir(dir)).toEqual(['items.csv', 'scales.csv']);
  });

  it('--format md is a readable report: summary table, item tables, method with references', async () => {
    const r = await runCli(['reliability', WAIS, '-i', 'wai-s', '--format', 'md']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# Reliability: /);
    expect(r.stdout).toContain('| Instrument | Scale | n | k | α | 95% CI (Feldt) | ω total | mean r |');
    expect(r.stdout).toMatch(/\| wai-s \| total \| 295 \| 12 \| \.\d\d \| \[\.\d\d, \.\d\d\] \| \.\d\d \|/);
    expect(r.stdout).toContain('## wai-s — goal');
    expect(r.stdout).toContain('## Method');
    expect(r.stdout).toContain('Feldt, Woodruff & Salih (1987)');
  });

  it('--by gives the table per value of a column, in numeric order', async () => {
    const r = await runCli(['reliability', SAMPLE, '-i', 'wai-sr', '--scale', 'total', '--by', 'session']);
    expect(r.code).toBe(0);
    const rows = readCsvObjects(r.stdout, true);
    expect(Object.keys(rows[0]!).slice(0, 3)).toEqual(['instrument', 'scale', 'session']);
    const sessions = rows.map((x) => Number(x.session));
    expect(sessions).toEqual([...sessions].sort((a, b) => a - b));
    expect(sessions[0]).toBe(1);
    expect(rows.reduce((s, x) => s + Number(x.n), 0)).toBe(2492);
  });

  it('--boot with --seed is reproducible and brackets alpha', async () => {
    const args = ['reliability', 'fixtures/reliability/wai_sr_complete.csv', '-i', 'wai-sr', '--scale', 'task', '--boot', '200', '--seed', '11', '--format', 'json'];
    const a = JSON.parse((await runCli(args)).stdout).reliability[0];
    const b = JSON.parse((await runCli(args)).stdout).reliability[0];
    expect(a.boot_alpha_lo).toBe(b.boot_alpha_lo);
    expect(a.boot_omega_hi).toBe(b.boot_omega_hi);
    expect(a.boot_alpha_lo).toBeLessThan(a.alpha);
    expect(a.boot_alpha_hi).toBeGreaterThan(a.alpha);
    expect(a).toMatchObject({ boot_n: 200, boot_seed: 11 });
  });

  it('without --seed, reports the seed it used so the run can be repeated', async () => {
    const r = await runCli(['reliability', 'fixtures/reliability/ors_small.csv', '-i', 'ors', '--boot', '50']);
    const seed = /repeat with --seed (\d+)/.exec(r.stderr)?.[1];
    expect(seed).toBeDefined();
    expect(readCsvObjects(r.stdout, true)[0]!.boot_seed).toBe(seed);
  });
});

describe('reliability warnings', () => {
  it('flags items that correlate negatively with the rest (a missing reverse key)', async () => {
    const dir = tempDir();
    const def = JSON.parse(readFileSync('instruments/wai-s.json', 'utf8'));
    def.id = 'wai-s-noreverse';
    for (const item of def.items) delete item.reverse;
    const file = join(dir, 'wai-s-noreverse.json');
    writeFileSync(file, JSON.stringify(def));
    const r = await runCli(['reliability', WAIS, '-i', file, '--scale', 'goal', '--format', 'json']);
    expect(r.stderr).toMatch(/item 4 \(wais4\) correlates negatively with the rest/);
    expect(r.stderr).toMatch(/item 10 \(wais10\) correlates negatively with the rest/);
    const codes = JSON.parse(r.stdout).reliability[0].warnings.map((w: { code: string }) => w.code);
    expect(codes).toContain('NEGATIVE_ITEM_REST');
  });
  it('warns about small samples and provisional keys', async () => {
    const small = await runCli(['reliability', 'fixtures/reliability/ors_small.csv', '-i', 'ors']);
    expect(small.stderr).toMatch(/only 25 rows/);
    const provisional = await runCli(['reliability', WAIS, '-i', 'wai-s', '--scale', 'task']);
    expect(provisional.stderr).toMatch(/wai-s is scored with a provisional key/);
  });
  it('puts warnings in the Markdown output', async () => {
    const r = await runCli(['reliability', 'fixtures/reliability/ors_small.csv', '-i', 'ors', '--format', 'md']);
    expect(r.stdout).toContain('**Warning (SMALL_N):**');
  });
});

describe('reliability errors', () => {
  it('an unknown --scale is a usage error listing the scales', async () => {
    const r = await runCli(['reliability', SAMPLE, '-i', 'wai-sr', '--scale', 'bnod']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('wai-sr: task, bond, goal, total');
  });
  it('an unknown --by column is unusable input with a suggestion', async () => {
    const r = await runCli(['reliability', SAMPLE, '-i', 'wai-sr', '--by', 'sesion']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('did you mean "session"');
  });
  it.each([
    [['--missing', 'casewise']],
    [['--boot', 'many']],
    [['--format', 'xlsx']],
  ])('bad option %j exits 2', async (extra) => {
    expect((await runCli(['reliability', SAMPLE, '-i', 'wai-sr', ...extra])).code).toBe(2);
  });
  it('refuses to write over the input', async () => {
    const dir = tempDir();
    const f = join(dir, 'in.csv');
    writeFileSync(f, readFileSync('fixtures/reliability/ors_small.csv'));
    const r = await runCli(['reliability', f, '-i', 'ors', '--items-out', f]);
    expect(r.code).toBe(2);
    expect(readFileSync(f, 'utf8')).toBe(readFileSync('fixtures/reliability/ors_small.csv', 'utf8'));
  });
});
