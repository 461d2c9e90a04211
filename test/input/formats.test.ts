/**
 * Real exports (fixtures/formats, made by fixtures/formats/generate.mjs) read exactly like the clean
 * file: same scores row by row, same trajectories. Bad inputs fail with their code, line and exit 3
 * (fixtures/formats/bad/README.md). Nothing lost, nothing injected.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readCsvObjects } from '../helpers/csv.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const F = 'fixtures/formats';
const SCORE_COLUMNS = (row: Record<string, string>) => Object.keys(row).filter((c) => /^(wai_sr|ors)_/.test(c) && !c.endsWith('_problems'));

async function scores(file: string, extra: string[] = []) {
  const r = await runCli(['score', `${F}/${file}`, '-i', 'wai-sr,ors', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return { rows: readCsvObjects(r.stdout, true), stderr: r.stderr };
}

describe('every export variant scores exactly like clean.csv', async () => {
  const clean = (await scores('clean.csv')).rows;
  const cases: Array<[string, string[], ((r: Record<string, string>) => boolean)?]> = [
    ['semicolon.csv', []],
    ['semicolon.csv', ['--delimiter', ';', '--decimal', ',']],
    ['tab.tsv', []],
    ['pipe.csv', []],
    ['utf16le.txt', []],
    ['utf16be.csv', []],
    ['windows1252.csv', ['--encoding', 'windows-1252']],
    ['qualtrics.csv', ['--map', `${F}/qualtrics-map.json`]],
    ['redcap-repeat.csv', [], (r) => r.redcap_repeat_instance !== ''],
    ['redcap-events.csv', []],
    ['clean.xlsx', []],
    ['second-sheet.xlsx', ['--sheet', 'Data']],
  ];
  it.each(cases)('%s %j', async (file, extra, keep) => {
    const all = (await scores(file, extra)).rows;
    const got = keep ? all.filter(keep) : all;
    expect(got).toHaveLength(clean.length);
    const cols = SCORE_COLUMNS(clean[0]!);
    got.forEach((row, i) => {
      for (const c of cols) expect(row[c], `row ${i} ${c}`).toBe(clean[i]![c]);
    });
  });

  it('keeps every input cell unchanged (decimal commas stay as written)', async () => {
    const rows = (await scores('semicolon.csv')).rows;
    expect(rows.some((r) => /^\d+,\d$/.test(r.ors1!))).toBe(true);
  });

  it('decodes Windows-1252 including € (0x80), which Node 20\'s own decoder gets wrong', async () => {
    const rows = (await scores('windows1252.csv', ['--encoding', 'windows-1252'])).rows;
    const notes = rows.map((r) => r.note).join(' ');
    expect(notes).toContain('€');
    expect(notes).toMatch(/Müller|José/);
  });

  it('says how it read the file, and counts the Qualtrics header rows it skipped', async () => {
    expect((await scores('semicolon.csv')).stderr).toMatch(/150 rows read from .*semicolon\.csv \(semicolon-separated, decimal commas\)/);
    expect((await scores('qualtrics.csv', ['--map', `${F}/qualtrics-map.json`])).stderr).toMatch(/150 rows read .*2 Qualtrics header rows skipped \(lines 2, 3\)/);
    expect((await scores('utf16le.txt')).stderr).toMatch(/tab-separated, utf-16le, decimal commas/);
  });
});

describe('every export variant gives the same trajectories as clean.csv', async () => {
  const run = async (file: string, extra: string[] = []) => {
    const r = await runCli(['trajectories', `${F}/${file}`, '-i', 'wai-sr', '--format', 'json', ...extra]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { trajectories: unknown[]; events: unknown[]; problems: unknown[]; cohort: Record<string, unknown> & { parameters: Record<string, unknown> } };
  };
  const clean = await run('clean.csv');
  it.each([
    ['qualtrics.csv', ['--map', `${F}/qualtrics-map-wai-sr.json`], 'qualtrics'],
    ['qualtrics.csv', ['--map', `${F}/qualtrics-map-wai-sr.json`, '--preset', 'qualtrics'], 'qualtrics'],
    ['redcap-repeat.csv', [], 'redcap'],
    ['redcap-events.csv', [], 'redcap'],
    ['redcap-events.csv', ['--event-map', `${F}/redcap-events-map.json`], 'redcap'],
    ['semicolon.csv', [], null],
    ['clean.xlsx', [], null],
  ] as Array<[string, string[], string | null]>)('%s %j (preset %s)', async (file, extra, preset) => {
    const got = await run(file, extra);
    expect(got.trajectories).toEqual(clean.trajectories);
    expect(got.events).toEqual(clean.events);
    expect(got.problems).toEqual([]);
    expect(got.cohort.parameters.preset).toBe(preset);
  });
  it('REDCap: an event without a session number is a problem that names --event-map', async () => {
    const d = tempDir();
    const text = readFileSync(`${F}/redcap-events.csv`, 'utf8').replace('session_1_arm_1', 'baseline_arm_1');
    writeFileSync(join(d, 'ev.csv'), text);
    const r = await runCli(['trajectories', join(d, 'ev.csv'), '-i', 'wai-sr', '--format', 'json']);
    const problem = JSON.parse(r.stdout).problems[0];
    expect(problem).toMatchObject({ code: 'EVENT_WITHOUT_SESSION', value: 'baseline_arm_1', line: 2 });
    expect(problem.message).toContain('--event-map');
  });
});

describe('bad input: exit 3 with the code, the line and what to do; nothing written', () => {
  const table = readFileSync(`${F}/bad/README.md`, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('| `') && l.includes('.csv'))
    .map((l) => {
      const cells = l.split('|').map((c) => c.trim());
      return { file: cells[1]!.replace(/`/g, ''), code: cells[3]!.replace(/`/g, ''), line: /^\d+/.exec(cells[4]!)?.[0] };
    });
  it('covers every bad fixture', () => {
    expect(table.map((t) => t.file).sort()).toEqual(listDir(`${F}/bad`).filter((f) => f.endsWith('.csv')));
  });
  it.each(table.map((t) => [t.file, t] as const))('%s', async (_f, t) => {
    for (const command of [['score'], ['reliability'], ['trajectories', '--format', 'json']]) {
      const d = tempDir();
      const args = [command[0]!, `${F}/bad/${t.file}`, '-i', 'wai-sr', ...command.slice(1)];
      if (command[0] !== 'trajectories') args.push('-o', join(d, 'out.csv'));
      const r = await runCli(args);
      expect(r.code, `${command[0]}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toContain(`[${t.code}]`);
      if (t.line) expect(r.stderr).toContain(`${t.file}:${t.line}`);
      expect(r.stderr).toMatch(/hint: /);
      expect(listDir(d)).toEqual([]);
    }
  });
  it('an .xlsx without the named sheet lists the sheets it has', async () => {
    const r = await runCli(['score', `${F}/second-sheet.xlsx`, '-i', 'wai-sr', '--sheet', 'Daten']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[XLSX_SHEET_NOT_FOUND]');
    expect(r.stderr).toContain('"About", "Data"');
  });
  it('a workbook read from its first sheet, which holds no data, names its other sheets', async () => {
    const r = await runCli(['score', `${F}/second-sheet.xlsx`, '-i', 'wai-sr']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[CSV_NO_ROWS]');
    expect(r.stderr).toMatch(/first worksheet, "About".*"Data".*--sheet/);
  });
  it.each([
    ['truncated.xlsx', /not a zip file, or file is truncated/],
    ['truncated-sheet.xlsx', /sheet1\.xml: malformed or truncated XML/],
    ['malformed-sheet.xlsx', /sheet1\.xml: .*disallowed character/],
  ])('a broken workbook (%s) is refused whole: exit 3, nothing written, no partial scores', async (file, why) => {
    for (const command of ['score', 'reliability', 'report']) {
      const d = tempDir();
      const out = command === 'report' ? join(d, 'weekly') : join(d, 'out.csv');
      const r = await runCli([command, `${F}/bad/${file}`, '-i', 'wai-sr', '-o', out]);
      expect(r.code, `${command}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toContain('[XLSX_UNREADABLE]');
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toMatch(/hint: .*save it again/);
      expect(listDir(d), command).toEqual([]);
    }
  });
  it('a formula saved without its result is a problem naming the formula, not a missing answer', async () => {
    const r = await runCli(['score', `${F}/formula-no-value.xlsx`, '-i', 'wai-sr', '--errors', '-', '-o', join(tempDir(), 'o.csv')]);
    expect(r.code, r.stderr).toBe(0);
    const problems = readCsvObjects(r.stdout, true);
    expect(problems).toEqual([expect.objectContaining({ line: '3', column: 'wai3', value: "'=D3+1", code: 'RESPONSE_FORMULA' })]);
    expect(problems[0]!.message).toMatch(/save it again/);
    // The formula cell that kept its result (=E4, cached 4) is read as its result.
    const scored = await runCli(['score', `${F}/formula-no-value.xlsx`, '-i', 'wai-sr']);
    expect(readCsvObjects(scored.stdout, true)[2]!.wai4).toBe('4');
  });
  it('reads 1904-system dates and inline strings as the 1900-system, shared-string workbook', async () => {
    const a = await runCli(['score', `${F}/clean.xlsx`, '-i', 'wai-sr']);
    const b = await runCli(['score', `${F}/second-sheet.xlsx`, '-i', 'wai-sr', '--sheet', 'Data']);
    const clean = readCsvObjects((await runCli(['score', `${F}/clean.csv`, '-i', 'wai-sr'])).stdout, true);
    expect(b.stdout).toBe(a.stdout);
    expect(readCsvObjects(a.stdout, true).map((r) => [r.date, r.note])).toEqual(clean.map((r) => [r.date, r.note]));
  });
  it('a workbook saved with a .csv name is recognised', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'book.csv'), readFileSync(`${F}/clean.xlsx`));
    const r = await runCli(['score', join(d, 'book.csv'), '-i', 'wai-sr']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/\[CSV_BINARY\]|looks like a zipped workbook/);
  });
  it('an unknown --encoding or --delimiter is refused', async () => {
    expect((await runCli(['score', `${F}/clean.csv`, '-i', 'wai-sr', '--encoding', 'klingon'])).code).toBe(3);
    expect((await runCli(['score', `${F}/clean.csv`, '-i', 'wai-sr', '--delimiter', ':'])).code).toBe(2);
    expect((await runCli(['score', `${F}/clean.csv`, '-i', 'wai-sr', '--decimal', ';'])).code).toBe(2);
  });
  it('an instrument definition over 2 MB is refused before parsing', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'big.json'), `{"id":"x","name":"${'a'.repeat(2_200_000)}"}`);
    const r = await runCli(['instruments', 'validate', join(d, 'big.json')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('[INSTRUMENT_TOO_LARGE]');
  });
});

describe('spreadsheet formula injection', () => {
  it('text cells starting with = + - @ get a leading \' in every CSV output; numbers are untouched', async () => {
    const rows = (await scores('clean.csv')).rows;
    const notes = rows.map((r) => r.note!).filter((n) => /^'?[=+\-@]/.test(n));
    expect(notes.length).toBeGreaterThanOrEqual(4);
    for (const n of notes) expect(n.startsWith("'")).toBe(true);
    const d = tempDir();
    writeFileSync(join(d, 'in.csv'), 'client_id,wai1,wai2,wai3,wai4,wai5,wai6,wai7,wai8,wai9,wai10,wai11,wai12,ors1,ors2,ors3,ors4\n=cmd|x,1,2,3,4,5,1,2,3,4,5,1,=1+1,-1.5,+3,2,@SUM(1)\n');
    const r = await runCli(['score', join(d, 'in.csv'), '-i', 'wai-sr,ors', '--errors', join(d, 'p.csv')]);
    const out = readCsvObjects(r.stdout, true)[0]!;
    expect(out.client_id).toBe("'=cmd|x");
    expect(out.wai12).toBe("'=1+1");
    expect(out.ors1).toBe('-1.5');
    expect(out.ors2).toBe('+3');
    expect(out.ors4).toBe("'@SUM(1)");
    expect(readCsvObjects(join(d, 'p.csv')).map((p) => p.value)).toEqual(["'=1+1", '-1.5', "'@SUM(1)"]);
  });
  it('--no-escape-formulas writes them as they are', async () => {
    const rows = (await scores('clean.csv', ['--no-escape-formulas'])).rows;
    expect(rows.some((r) => r.note!.startsWith('='))).toBe(true);
  });
});
