/**
 * Reading a file in two parts at once (src/parallel): the output of `--threads 2` is byte for byte
 * that of `--threads 1`, errors in the second part name the same line, and a cut that would fall
 * inside a quoted field makes the job start over in one part.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScoreJob } from '../../src/jobs/score.js';
import { runReliabilityJob } from '../../src/jobs/reliability.js';
import { runTrajectoryJob } from '../../src/jobs/trajectories.js';
import { renderTrajectoryFiles } from '../../src/report/trajectories.js';
import { loadInstruments } from '../../src/instrument/catalogue.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { Readable, PassThrough } from 'node:stream';

const FORMATS = 'fixtures/formats';

/** Equal to 12 decimals, or both NaN. */
const close = (a: number, b: number) => (Number.isNaN(b) ? expect(a).toBeNaN() : expect(a).toBeCloseTo(b, 12));

/** Scores a file with both thread settings; returns both outputs, problem files and the summaries. */
async function scoreBoth(file: string, instruments: string, extra: string[] = []) {
  const dir = tempDir();
  const run = async (threads: number) => {
    const out = join(dir, `scores-${threads}.csv`);
    const errors = join(dir, `errors-${threads}.csv`);
    const r = await runCli(['score', file, '-i', instruments, '-o', out, '--errors', errors, '--threads', String(threads), ...extra]);
    return { r, out: r.code === 0 ? readFileSync(out) : undefined, errors: r.code === 0 ? readFileSync(errors) : undefined };
  };
  return { one: await run(1), two: await run(2) };
}

/** A file whose rows are `rows` copies of generated answers, with a quoted note in some rows. */
function generated(rows: number, note: (i: number) => string): string {
  const header = ['client_id', 'session', ...Array.from({ length: 12 }, (_, i) => `wai${i + 1}`), 'note'];
  const lines = [header.join(',')];
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < rows; i++) {
    // Answers that hang together (a trait plus noise), as real ones do; 3 % missing.
    const trait = next() * 4;
    const items = Array.from({ length: 12 }, () => (next() < 0.03 ? '' : String(Math.min(5, Math.max(1, Math.round(1 + trait + (next() - 0.5) * 2))))));
    lines.push([`C${String(i % 5).padStart(3, '0')}`, String(1 + Math.floor(i / 5)), ...items, note(i)].join(','));
  }
  return `${lines.join('\n')}\n`;
}

describe('score, reliability and trajectories in two parts', () => {
  it('score: the bundled format fixtures give the same bytes with --threads 2 as with 1', async () => {
    for (const file of ['clean.csv', 'semicolon.csv', 'pipe.csv', 'tab.tsv', 'qualtrics.csv']) {
      const extra = file === 'qualtrics.csv' ? ['--map', join(FORMATS, 'qualtrics-map.json')] : [];
      const { one, two } = await scoreBoth(join(FORMATS, file), 'wai-sr,ors', extra);
      expect(one.r.code, file).toBe(0);
      expect(two.r.code, file).toBe(0);
      expect(two.out!.equals(one.out!), file).toBe(true);
      expect(two.errors!.equals(one.errors!), file).toBe(true);
      expect(two.r.stderr).toBe(one.r.stderr);
    }
  });

  it('score: a larger file is really read in two parts, with the same rows, problems and counts', async () => {
    const dir = tempDir();
    const file = join(dir, 'big.csv');
    // Some invalid answers and formula-like notes in both halves.
    writeFileSync(file, generated(4000, (i) => (i % 501 === 0 ? '=SUM(A1)' : i % 333 === 0 ? '"said ""fine"", left"' : '')).replace(/,3,4,/g, (m, at: number) => (at % 7 === 0 ? ',9,4,' : m)));
    const instruments = await loadInstruments('wai-sr');
    const run = async (threads: number) => {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      const errors = join(dir, `errors-${threads}.csv`);
      const summary = await runScoreJob({ input: file, instruments, format: 'csv', errors, threads }, { stdin: Readable.from([]), stdout: out });
      return { summary, out: Buffer.concat(chunks), errors: readFileSync(errors) };
    };
    const one = await run(1);
    const two = await run(2);
    expect(one.summary.parts).toBe(1);
    expect(two.summary.parts).toBe(2);
    expect(two.out.equals(one.out)).toBe(true);
    expect(two.errors.equals(one.errors)).toBe(true);
    expect(one.summary.problems).toBeGreaterThan(0);
    expect({ ...two.summary, parts: 1 }).toEqual(one.summary);
  });

  it('reliability: the same report with --threads 2, with and without --by', async () => {
    const dir = tempDir();
    const file = join(dir, 'big.csv');
    writeFileSync(file, generated(3000, () => ''));
    const instruments = await loadInstruments('wai-sr');
    for (const by of [undefined, 'client_id']) {
      const run = (threads: number) =>
        runReliabilityJob({ input: file, instruments, missing: 'pairwise', seed: 1, outputs: [], threads, ...(by ? { by } : {}) }, Readable.from([]));
      const one = await run(1);
      const two = await run(2);
      expect(two.rows).toBe(one.rows);
      expect(two.scales.map((s) => [s.scaleId, s.group])).toEqual(one.scales.map((s) => [s.scaleId, s.group]));
      two.scales.forEach((s, i) => {
        const o = one.scales[i]!;
        // Whole-number items: the sums are exact, so alpha and the covariances agree exactly; raw.r to rounding.
        expect(s.result.alpha.raw).toBe(o.result.alpha.raw);
        expect(s.result.alpha.n).toBe(o.result.alpha.n);
        close(s.result.omega.omega, o.result.omega.omega);
        s.result.alpha.items.forEach((it, j) => close(it.rRaw, o.result.alpha.items[j]!.rRaw));
      });
    }
  });

  it('a cut inside a quoted field (line breaks in a note) starts over in one part, with the same output', async () => {
    const dir = tempDir();
    const file = join(dir, 'notes.csv');
    // Every row's note spans several lines, so the middle of the file is inside quotes more often than not.
    const text = generated(2000, (i) => `"line one of ${i}\nline two\r\nline three ""quoted""${'\n…'.repeat(30)}"`);
    writeFileSync(file, text);
    const { one, two } = await scoreBoth(file, 'wai-sr');
    expect(one.r.code).toBe(0);
    expect(two.out!.equals(one.out!)).toBe(true);
    expect(two.errors!.equals(one.errors!)).toBe(true);
    // This file's middle line break is inside a note: it was read in one part after all.
    const summary = await runScoreJob({ input: file, instruments: await loadInstruments('wai-sr'), format: 'csv', output: join(dir, 'again.csv'), threads: 2 }, { stdin: Readable.from([]), stdout: new PassThrough() });
    expect(summary.parts).toBe(1);
    expect(readFileSync(join(dir, 'again.csv')).equals(one.out!)).toBe(true);
  });

  it('errors in the second part name the same line and code as in one part', async () => {
    const dir = tempDir();
    const base = generated(3000, (i) => (i % 100 === 0 ? '"two\nlines"' : ''));
    const lines = base.split('\n');
    const cases: Array<[string, (ls: string[]) => string | Buffer]> = [
      ['CSV_RAGGED_ROW', (ls) => [...ls.slice(0, 2800), `${ls[2800]},extra`, ...ls.slice(2801)].join('\n')],
      ['CSV_UNCLOSED_QUOTE', (ls) => [...ls.slice(0, 2900), `${ls[2900]!.slice(0, -1)}"open`, ...ls.slice(2901)].join('\n')],
      ['ENCODING_INVALID', (ls) => Buffer.concat([Buffer.from(ls.slice(0, 2950).join('\n') + '\n'), Buffer.from([0xc3, 0x28]), Buffer.from(`\n${ls.slice(2950).join('\n')}`)])],
    ];
    for (const [code, make] of cases) {
      const file = join(dir, `${code}.csv`);
      writeFileSync(file, make(lines));
      for (const command of ['score', 'reliability', 'trajectories']) {
        const a = await runCli([command, file, '-i', 'wai-sr', '--threads', '1', '-o', join(dir, 'a.csv')]);
        const b = await runCli([command, file, '-i', 'wai-sr', '--threads', '2', '-o', join(dir, 'b.csv')]);
        expect(a.code, `${command} ${code}`).toBe(3);
        expect(a.stderr, `${command} ${code}`).toContain(code);
        expect(b.code).toBe(3);
        expect(b.stderr).toBe(a.stderr);
      }
    }
  });

  it('trajectories: a larger file is really read in two parts, with the same files', async () => {
    const dir = tempDir();
    const file = join(dir, 'long.csv');
    // Rows that trajectories must report or leave out, in both halves: no client, a session that is
    // not a whole number, a duplicated session, an invalid answer.
    const lines = generated(4000, () => '').split('\n');
    for (const at of [700, 3300]) {
      lines[at] = lines[at]!.replace(/^C\d+,/, ',');
      lines[at + 1] = lines[at + 1]!.replace(/^(C\d+),\d+,/, '$1,2.5,');
      lines[at + 2] = lines[at + 2]!.replace(/^(C\d+,\d+),\d,/, '$1,9,');
    }
    lines.splice(3500, 0, lines[3400]!);
    writeFileSync(file, lines.join('\n'));
    const instrument = (await loadInstruments('wai-sr'))[0]!;
    const run = (threads: number) => runTrajectoryJob({ input: file, instrument, ruptureMethod: 'gumz', repairWindow: 3, outputs: [], threads }, Readable.from([]));
    const one = await run(1);
    const two = await run(2);
    expect(one.parts).toBe(1);
    expect(two.parts).toBe(2);
    expect(one.problems.map((p) => p.code)).toEqual(expect.arrayContaining(['CLIENT_MISSING', 'SESSION_NOT_INTEGER', 'DUPLICATE_SESSION', 'RESPONSE_OUT_OF_RANGE']));
    expect(renderTrajectoryFiles({ ...two, parts: 1 })).toEqual(renderTrajectoryFiles(one));
    expect({ ...two, parts: 1 }).toEqual(one);
  });

  it('trajectories: the REDCap fixtures and the sample give the same files with --threads 2', async () => {
    const cases: string[][] = [
      [join(FORMATS, 'redcap-repeat.csv'), '-i', 'wai-sr'],
      [join(FORMATS, 'redcap-events.csv'), '-i', 'wai-sr', '--event-map', join(FORMATS, 'redcap-events-map.json')],
      ['fixtures/sample/sessions.csv', '-i', 'ors'],
    ];
    for (const args of cases) {
      const dir = tempDir();
      const a = await runCli(['trajectories', ...args, '--threads', '1', '-o', join(dir, 'a')]);
      const b = await runCli(['trajectories', ...args, '--threads', '2', '-o', join(dir, 'b')]);
      expect(a.code, args[0]).toBe(0);
      expect(b.code).toBe(0);
      expect(b.stderr.replaceAll(join(dir, 'b'), '')).toBe(a.stderr.replaceAll(join(dir, 'a'), ''));
      for (const f of ['trajectories.csv', 'events.csv', 'therapists.csv', 'cohort.json']) {
        expect(readFileSync(join(dir, 'b', f), 'utf8'), `${args[0]} ${f}`).toBe(readFileSync(join(dir, 'a', f), 'utf8'));
      }
    }
  });

  it('--threads takes 1 or 2', async () => {
    const r = await runCli(['score', join(FORMATS, 'clean.csv'), '-i', 'wai-sr', '--threads', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--threads must be 1 or 2');
  });
});
