/**
 * SPSS system files (fixtures/sav, made by PSPP from fixtures/sav/sample.csv: see its README) read
 * exactly like the CSV they were made from: same scores row by row, same reliability, whether the
 * file is uncompressed, bytecode-compressed or a .zsav. User-missing values are missing, value
 * labels can stand in for the codes, dates come out ISO, and a file cut short is refused (exit 3),
 * never read as a shorter table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readCsvObjects } from '../helpers/csv.js';
import { tempDir } from '../helpers/tmp.js';

const F = 'fixtures/sav';
const SCORE_COLUMNS = (row: Record<string, string>) => Object.keys(row).filter((c) => /^(wai_sr|ors)_/.test(c) && !c.endsWith('_problems'));

async function score(file: string, extra: string[] = []) {
  const r = await runCli(['score', file, '-i', 'wai-sr,ors', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return readCsvObjects(r.stdout, true);
}

describe('SPSS .sav input', async () => {
  const csv = await score(`${F}/sample.csv`);
  const cols = SCORE_COLUMNS(csv[0]!);

  it.each([['sample.sav'], ['sample-compressed.sav'], ['sample.zsav'], ['labels.sav'], ['windows1252.sav']])('%s scores exactly like sample.csv', async (file) => {
    const got = await score(`${F}/${file}`);
    expect(got).toHaveLength(csv.length);
    got.forEach((row, i) => {
      for (const c of cols) expect(row[c], `row ${i} ${c}`).toBe(csv[i]![c]);
      expect(row.client_id).toBe(csv[i]!.client_id);
      expect(row.session).toBe(csv[i]!.session);
    });
  });

  it('gives the cells as text: strings trimmed, numbers in their shortest form, system-missing empty', async () => {
    const got = await score(`${F}/sample.sav`);
    expect(Object.keys(got[0]!).slice(0, 20)).toEqual(Object.keys(csv[0]!).slice(0, 20));
    // sample.csv's row 2: ors2 blank, ors3 "8.0".
    expect(got[1]).toMatchObject({ client_id: 'C0001', therapist_id: 'T04', session: '3', ors1: '8.3', ors2: '', ors3: '8', wai10: '4' });
    expect(got[0]!.wai10).toBe('');
  });

  it('has the same reliability as the CSV', async () => {
    const ref = await runCli(['reliability', `${F}/sample.csv`, '-i', 'wai-sr,ors']);
    expect(ref.code, ref.stderr).toBe(0);
    for (const file of ['sample.sav', 'sample-compressed.sav', 'sample.zsav']) {
      const r = await runCli(['reliability', `${F}/${file}`, '-i', 'wai-sr,ors']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout, file).toBe(ref.stdout);
    }
  });

  it('reads user-missing values (9, declared MISSING VALUES) as missing', async () => {
    const got = await score(`${F}/labels.sav`);
    // labels.sav has 9 typed into the blank WAI cells of the first 10 cases: still unanswered.
    const first10 = csv.slice(0, 10);
    expect(first10.some((r) => r.wai_sr_answered !== '12')).toBe(true);
    got.slice(0, 10).forEach((row, i) => {
      expect(row.wai_sr_answered).toBe(first10[i]!.wai_sr_answered);
      expect(row.wai_sr_status).toBe(first10[i]!.wai_sr_status);
      for (let k = 1; k <= 12; k++) expect(row[`wai${k}`]).not.toBe('9');
    });
    expect(got[0]!.wai10).toBe('');
    expect(got[0]!.wai_sr_problems).toBe('');
  });

  it('--value-labels gives the labels, which score the same as the codes', async () => {
    const codes = await score(`${F}/labels.sav`);
    const labels = await score(`${F}/labels.sav`, ['--value-labels']);
    expect(labels[0]).toMatchObject({ wai1: 'Fairly often', wai3: 'Very often', wai10: '' });
    expect(labels[1]!.wai5).toBe('Always');
    expect(codes[0]!.wai1).toBe('3');
    // ORS items have no labels: numbers stay numbers.
    expect(labels[0]!.ors1).toBe('6.8');
    labels.forEach((row, i) => {
      for (const c of cols) expect(row[c], `row ${i} ${c}`).toBe(codes[i]![c]);
    });
  });

  it('gives dates as ISO dates and date-times, long names and very long strings whole', async () => {
    const got = await score(`${F}/labels.sav`);
    expect(got.map((r) => r.date)).toEqual(csv.map((r) => r.date));
    expect(got[0]!.session_started_at).toBe(`${csv[0]!.date}T13:30:15`);
    expect(got[1]!.note).toBe(`Müller, José – ${'x'.repeat(250)} end`);
    expect(got[2]!.note).toBe('short note');
    expect(got[3]!.note).toBe('');
    expect((await score(`${F}/windows1252.sav`))[0]!.note).toBe('Müller € José');
  });

  it('says the file is SPSS, and its encoding when not UTF-8', async () => {
    const r = await runCli(['score', `${F}/windows1252.sav`, '-i', 'wai-sr', '-o', '-']);
    expect(r.stderr).toContain('windows-1252');
  });

  it('refuses a file cut short (in the dictionary or in the data), naming the case', async () => {
    const d = tempDir();
    const whole = readFileSync(`${F}/sample.sav`);
    const compressed = readFileSync(`${F}/sample-compressed.sav`);
    const zsav = readFileSync(`${F}/sample.zsav`);
    const cases: Array<[string, Buffer, RegExp]> = [
      ['data.sav', whole.subarray(0, 9000), /case \d+/],
      ['dictionary.sav', whole.subarray(0, 1000), /cut short/],
      ['header.sav', whole.subarray(0, 100), /cut short/],
      ['at-a-case.sav', whole.subarray(0, whole.length - 20 * 8), /60 cases, the data stops after 59/],
      ['compressed.sav', compressed.subarray(0, compressed.length - 300), /cut short/],
      ['cut.zsav', zsav.subarray(0, zsav.length - 100), /cut short/],
    ];
    for (const [name, bytes, why] of cases) {
      const p = join(d, name);
      writeFileSync(p, bytes);
      const r = await runCli(['score', p, '-i', 'wai-sr,ors']);
      expect(r.code, name).toBe(3);
      expect(r.stderr, name).toContain('SAV_UNREADABLE');
      expect(r.stderr, name).toMatch(why);
      expect(r.stderr, name).toContain('hint:');
    }
  });

  it('refuses a file that is not SPSS', async () => {
    const p = join(tempDir(), 'renamed.SAV');
    writeFileSync(p, readFileSync(`${F}/sample.csv`));
    const r = await runCli(['score', p, '-i', 'wai-sr']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('SAV_UNREADABLE');
  });

  it('keeps --sheet for workbooks', async () => {
    const r = await runCli(['score', `${F}/sample.sav`, '-i', 'wai-sr', '--sheet', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SHEET_WITHOUT_XLSX');
  });
});

describe('--value-labels outside SPSS', () => {
  it('is a usage error on a CSV, as --sheet is outside a workbook', async () => {
    const r = await runCli(['score', 'fixtures/sav/sample.csv', '-i', 'wai-sr', '--value-labels']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--value-labels is for SPSS \.sav files/);
  });
});
