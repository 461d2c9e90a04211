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

describe('reliability: one-pass moments (files) and rows in memory (stdin, --boot) agree', () => {
  it.each([['pairwise'], ['listwise']])('%s, with --by', async (missing) => {
    const file = await runCli(['reliability', SAMPLE, '-i', 'wai-sr,ors', '--missing', missing, '--by', 'therapist_id', '--format', 'json']);
    const stdin = await runCli(['reliability', '-', '-i', 'wai-sr,ors', '--missing', missing, '--by', 'therapist_id', '--format', 'json'], { stdin: readFileSync(SAMPLE, 'utf8') });
    const a = JSON.parse(file.stdout).reliability as Array<Record<string, unknown>>;
    const b = JSON.parse(stdin.stdout).reliability as Array<Record<string, unknown>>;
    expect(a.length).toBe(b.length);
    const close = (x: unknown, y: unknown, path: string) => {
      // Omega comes from an iterative fit (gradient tolerance 1e-10): its last digits follow the covariance's rounding.
      if (typeof x === 'number' && typeof y === 'number') expect(Math.abs(x - y), path).toBeLessThan(path.includes('omega') ? 1e-7 : 1e-10);
      else if (Array.isArray(x)) (x as unknown[]).forEach((v, i) => close(v, (y as unknown[])[i], `${path}[${i}]`));
      else if (x && typeof x === 'object') for (const k of Object.keys(x)) close((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${path}.${k}`);
      else expect(y, path).toEqual(x);
    };
    a.forEach((s, i) => close(s, b[i], `${s.scale}/${s.therapist_id}`));
  });
  it('an item with no variance makes the streaming path read the file again, to match psych', async () => {
    const dir = tempDir();
    const rows = ['client_id,wai1,wai2,wai3,wai4,wai5,wai6,wai7,wai8,wai9,wai10,wai11,wai12'];
    for (let i = 0; i < 40; i++) rows.push(`C${i},${1 + (i % 5)},${1 + ((i * 3) % 5)},3,${1 + ((i * 7) % 5)},${1 + (i % 4)},${1 + ((i + 2) % 5)},${1 + ((i * 2) % 5)},${1 + ((i + 1) % 3)},${1 + (i % 2)},${1 + ((i * 4) % 5)},${1 + ((i + 3) % 4)},${1 + ((i * 6) % 5)}`);
    const f = join(dir, 'zero.csv');
    writeFileSync(f, `${rows.join('\n')}\n`);
    const fromFile = JSON.parse((await runCli(['reliability', f, '-i', 'wai-sr', '--scale', 'bond', '--format', 'json'])).stdout).reliability[0];
    const fromStdin = JSON.parse((await runCli(['reliability', '-', '-i', 'wai-sr', '--scale', 'bond', '--format', 'json'], { stdin: readFileSync(f, 'utf8') })).stdout).reliability[0];
    expect(fromFile.k).toBe(3);
    expect(fromFile.items.map((i: { r_raw: number | null }) => i.r_raw)).toEqual(fromStdin.items.map((i: { r_raw: number | null }) => i.r_raw));
  });
});
