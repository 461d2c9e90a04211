/**
 * Data as people have it (issue #19): wide files, sessions ordered by date, no -i, standard input
 * by default, --quiet, --version. Each against a committed fixture pair: the same data in the
 * shape rapport always read must give the same output.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDay } from '../../src/input/dates.js';
import { runCli } from '../helpers/cli.js';
import { readCsvObjects } from '../helpers/csv.js';
import { tempDir } from '../helpers/tmp.js';

const WIDE = ['fixtures/wide/wide.csv', '--wide', '{column}_s{session}'];

it('the fixture pairs are what their generators make from the sample', () => {
  for (const script of ['fixtures/wide/make.mjs', 'fixtures/dates/make.mjs']) expect(execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8' })).toMatch(/up to date/);
});

describe('wide files (--wide)', () => {
  it('score: the same rows as the long file, problems naming the wide line and column', async () => {
    const dir = tempDir();
    const w = await runCli(['score', ...WIDE, '-i', 'wai-sr,ors', '--errors', join(dir, 'we.csv')]);
    const l = await runCli(['score', 'fixtures/wide/long.csv', '-i', 'wai-sr,ors', '--errors', join(dir, 'le.csv')]);
    expect(w.code).toBe(0);
    // The *_problems cells name the wide column (wai5_s2); everything else is byte for byte the same.
    expect(w.stdout.replace(/(wai\d+)_s\d=/g, '$1=')).toBe(l.stdout);
    expect(w.stdout).toContain('wai5_s2=0: RESPONSE_OUT_OF_RANGE');
    const errors = readCsvObjects(join(dir, 'we.csv'));
    expect(errors.map((e) => [e.line, e.column, e.value])).toEqual([['97', 'wai5_s2', '0'], ['242', 'wai9_s3', '6']]);
    const wideLines = readFileSync('fixtures/wide/wide.csv', 'utf8').split('\n');
    expect(wideLines[96]!.startsWith('C0096,')).toBe(true);
  });

  it('reliability and trajectories equal the long file\'s', async () => {
    const rw = await runCli(['reliability', ...WIDE, '-i', 'wai-sr', '--format', 'json']);
    const rl = await runCli(['reliability', 'fixtures/wide/long.csv', '-i', 'wai-sr', '--format', 'json']);
    const strip = (s: string) => JSON.parse(s.replace(/fixtures\/wide\/(wide|long)\.csv/g, 'F')) as unknown;
    expect(strip(rw.stdout)).toEqual(strip(rl.stdout));
    const dir = tempDir();
    await runCli(['trajectories', ...WIDE, '-i', 'ors', '-o', join(dir, 'w')]);
    await runCli(['trajectories', 'fixtures/wide/long.csv', '-i', 'ors', '-o', join(dir, 'l')]);
    for (const f of ['trajectories.csv', 'events.csv', 'attention.csv']) expect(readFileSync(join(dir, 'w', f), 'utf8'), f).toBe(readFileSync(join(dir, 'l', f), 'utf8'));
  });

  it('a wide row with no answer in any session gives no administration, and the summary says which', async () => {
    const dir = tempDir();
    const file = join(dir, 'wide.csv');
    const lines = readFileSync('fixtures/wide/wide.csv', 'utf8').split('\n');
    lines[4] = lines[4]!.split(',').map((v, i) => (i < 2 ? v : '')).join(',');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, lines.join('\n'));
    const r = await runCli(['score', file, '-i', 'wai-sr', '--wide', '{column}_s{session}']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/administrations read from .*wide '\{column\}_s\{session\}': 300 rows gave \d+ administrations; 1 row with no answer in any session gave none \(line 5\)/);
  });

  it('a wide file read without --wide: the error says it looks wide and proposes the pattern', async () => {
    const r = await runCli(['score', 'fixtures/wide/wide.csv', '-i', 'wai-sr']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('looks wide');
    expect(r.stderr).toContain("--wide '{column}_s{session}'");
    expect(r.stderr).not.toMatch(/nearest: "wai1_s1"/);
  });

  it('a pattern without {session}, or fitting no column, is refused with an example', async () => {
    const a = await runCli(['score', 'fixtures/wide/wide.csv', '-i', 'wai-sr', '--wide', '{column}_s']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/must hold \{column\} and \{session\}/);
    const b = await runCli(['score', 'fixtures/wide/wide.csv', '-i', 'wai-sr', '--wide', '{column}_t{session}']);
    expect(b.code).toBe(3);
    expect(b.stderr).toMatch(/WIDE_NO_COLUMNS/);
  });
});

describe('sessions in date order', () => {
  it('parseDay reads ISO always, and day/month or month/day forms when told; impossible dates are not dates', () => {
    expect(parseDay('2025-02-27')).toBe(parseDay('27/02/2025', 'dmy'));
    expect(parseDay('02/27/2025', 'mdy')).toBe(parseDay('2025-02-27'));
    expect(parseDay('27.2.2025 09:30', 'dmy')).toBe(parseDay('2025-02-27'));
    expect(parseDay('2025-02-27', 'dmy')).toBe(parseDay('2025-02-27'));
    expect(parseDay('31/02/2025', 'dmy')).toBeNaN();
    expect(parseDay('27/02/2025')).toBeNaN();
    expect(parseDay('27/02/25', 'dmy')).toBeNaN();
  });

  it('--session-order date numbers each client\'s sessions by date: the same as the numbered file', async () => {
    const dir = tempDir();
    const d = await runCli(['trajectories', 'fixtures/dates/dated.csv', '-i', 'ors', '--session-order', 'date', '--date-format', 'dmy', '-o', join(dir, 'd')]);
    expect(d.code, d.stderr).toBe(0);
    await runCli(['trajectories', 'fixtures/dates/numbered.csv', '-i', 'ors', '-o', join(dir, 'n')]);
    for (const f of ['trajectories.csv', 'events.csv', 'therapists.csv', 'attention.csv']) expect(readFileSync(join(dir, 'd', f), 'utf8'), f).toBe(readFileSync(join(dir, 'n', f), 'utf8'));
    const linkDated = await runCli(['link', 'fixtures/dates/dated.csv', '--predictor', 'wai-sr', '--outcome', 'ors', '--session-order', 'date', '--date-format', 'dmy']);
    expect(linkDated.code, linkDated.stderr).toBe(0);
    expect(linkDated.stdout).toBe((await runCli(['link', 'fixtures/dates/numbered.csv', '--predictor', 'wai-sr', '--outcome', 'ors'])).stdout);
    const cohort = JSON.parse(readFileSync(join(dir, 'd', 'cohort.json'), 'utf8')) as { parameters?: { session_from?: string } };
    expect(JSON.stringify(cohort)).toContain('numbered per client in the order of date');
  });

  it('a --session column of dates orders by date too; dates in another form say which --date-format to give', async () => {
    const dir = tempDir();
    const visit = join(dir, 'visit.csv');
    const text = readFileSync('fixtures/dates/dated.csv', 'utf8').replace(/^client_id,therapist_id,date,/, 'client_id,therapist_id,visit,');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(visit, text);
    const bad = await runCli(['trajectories', visit, '-i', 'ors', '--session', 'visit', '-o', join(dir, 'x')]);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/"27\/02\/2025" is not a date as YYYY-MM-DD[\s\S]*--date-format dmy/);
    const ok = await runCli(['trajectories', visit, '-i', 'ors', '--session', 'visit', '--date-format', 'dmy', '-o', join(dir, 'v')]);
    expect(ok.code, ok.stderr).toBe(0);
    await runCli(['trajectories', 'fixtures/dates/numbered.csv', '-i', 'ors', '-o', join(dir, 'n')]);
    expect(readFileSync(join(dir, 'v', 'trajectories.csv'), 'utf8')).toBe(readFileSync(join(dir, 'n', 'trajectories.csv'), 'utf8'));
  });

  it('no session column but dates: the error proposes --session-order date; two visits on one date are reported', async () => {
    const r = await runCli(['trajectories', 'fixtures/dates/dated.csv', '-i', 'ors', '-o', join(tempDir(), 'x')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no session column, but it has dates[\s\S]*--session-order date/);
    const dir = tempDir();
    const twice = join(dir, 'twice.csv');
    const { writeFileSync } = await import('node:fs');
    const lines = readFileSync('fixtures/dates/dated.csv', 'utf8').trim().split('\n');
    writeFileSync(twice, [...lines, lines[1]!].join('\n'));
    const t = await runCli(['trajectories', twice, '-i', 'ors', '--session-order', 'date', '--date-format', 'dmy', '-o', join(dir, 'o')]);
    expect(t.code, t.stderr).toBe(0);
    const dup = readCsvObjects(join(dir, 'o', 'problems.csv')).filter((p) => p.code === 'DUPLICATE_SESSION' && p.message!.includes('C0001'));
    expect(dup.map((p) => p.line)).toEqual(['2', String(lines.length + 1)]);
    expect(dup[0]!.message).toMatch(/client C0001 has 2 administrations on one date .* sessions are numbered by date/);
  });
});

describe('no -i: the instrument is found from the columns', () => {
  it('one match is used and named on stderr (also from standard input)', async () => {
    const text = readFileSync('fixtures/sample/sessions.csv', 'utf8').split('\n').map((l) => l.split(',').slice(0, 16).join(',')).join('\n');
    const r = await runCli(['score', '-'], { stdin: text });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/no -i given; the item columns are wai-sr's/);
    const withI = await runCli(['score', '-', '-i', 'wai-sr'], { stdin: text });
    expect(r.stdout).toBe(withI.stdout);
  });

  it('trajectories too: one match is followed; several name one -i each', async () => {
    const text = readFileSync('fixtures/sample/sessions.csv', 'utf8').split('\n').map((l) => [...l.split(',').slice(0, 4), ...l.split(',').slice(16)].join(',')).join('\n');
    const one = await runCli(['trajectories', '-', '--format', 'json'], { stdin: text });
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toMatch(/using -i ors/);
    const two = await runCli(['trajectories', 'fixtures/sample/sessions.csv', '--format', 'json']);
    expect(two.code).toBe(2);
    expect(two.stderr).toMatch(/trajectories follows one instrument: choose with -i, e\.g\. rapport trajectories fixtures\/sample\/sessions\.csv -i ors \(or -i wai-sr\)/);
  });

  it('several are listed with the command to choose; none is an error naming the closest', async () => {
    const several = await runCli(['reliability', 'fixtures/sample/sessions.csv']);
    expect(several.code).toBe(2);
    expect(several.stderr).toMatch(/fit 2 bundled instruments: ors; wai-sr[\s\S]*-i ors,wai-sr/);
    const text = 'client_id,session,wai1,wai2,wai3\nC1,1,3,4,5\n';
    const none = await runCli(['score', '-'], { stdin: text });
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/no bundled instrument has all its item columns[\s\S]*wai-sr: 3 of its 12 item columns/);
  });
});

describe('habits of a command-line tool', () => {
  it('no file and data piped in: standard input; no file and a terminal: a clear usage error', async () => {
    const text = readFileSync('fixtures/sample/sessions.csv', 'utf8');
    const piped = await runCli(['score', '-i', 'ors'], { stdin: text });
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe((await runCli(['score', 'fixtures/sample/sessions.csv', '-i', 'ors'])).stdout);
    const tty = await runCli(['score', '-i', 'ors'], { stdinTty: true });
    expect(tty.code).toBe(2);
    expect(tty.stderr).toMatch(/no input: give a file, or pipe the data into rapport/);
  });

  it('--quiet prints nothing but errors; --version is package.json\'s', async () => {
    const q = await runCli(['score', 'fixtures/sample/sessions.csv', '-i', 'wai-sr', '--quiet']);
    expect(q.code).toBe(0);
    expect(q.stderr).toBe('');
    const loud = await runCli(['score', 'fixtures/sample/sessions.csv', '-i', 'wai-sr']);
    expect(loud.stderr).not.toBe('');
    const err = await runCli(['-q', 'score', 'fixtures/nope.csv', '-i', 'wai-sr']);
    expect(err.code).toBe(3);
    expect(err.stderr).toMatch(/cannot read fixtures\/nope\.csv/);
    const v = await runCli(['--version']);
    expect(v.stdout.trim()).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  });
});
