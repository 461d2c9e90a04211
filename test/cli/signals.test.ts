/**
 * Interrupted runs leave nothing behind: SIGINT and SIGTERM remove the temporary files beside the
 * output and in the temp folder (the raw copy of standard input included) and exit 130 / 143; the
 * previous output stays as it was. After a SIGKILL, which no program can catch, the next run
 * removes what the killed one left.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnRapport, waitFor } from '../helpers/process.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const SAMPLE = 'fixtures/sample/sessions.csv';
const text = readFileSync(SAMPLE, 'utf8');
const [header, ...rows] = text.trimEnd().split('\n');
/** The header and the first half of the rows: the run is then waiting for more. */
const firstHalf = `${header}\n${rows.slice(0, rows.length / 2).join('\n')}\n`;

/** Entries of `dir` whose names start with one of the prefixes. */
const temps = (dir: string, ...prefixes: string[]) => readdirSync(dir).filter((n) => prefixes.some((p) => n.startsWith(p)));

describe.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)('%s', (signal, code) => {
  it(`score - -o out.csv: exit ${code}, no temporary file, the previous out.csv intact`, async () => {
    const dir = tempDir();
    const out = join(dir, 'out.csv');
    writeFileSync(out, 'the previous output\n');
    const run = spawnRapport(['score', '-', '-i', 'wai-sr', '-o', out]);
    run.child.stdin!.write(firstHalf);
    await waitFor(() => temps(dir, '.out.csv.tmp-').length > 0, 'the temporary output');
    run.child.kill(signal);
    expect(await run.exited).toBe(code);
    expect(listDir(dir)).toEqual(['out.csv']);
    expect(readFileSync(out, 'utf8')).toBe('the previous output\n');
  });

  it(`report - -o dir: exit ${code}, nothing in the temp folder, no half report, the previous report intact`, async () => {
    const tmp = tempDir();
    const parent = tempDir();
    const out = join(parent, 'weekly');
    const first = spawnRapport(['report', SAMPLE, '-i', 'ors', '-o', out]);
    expect(await first.exited, first.err()).toBe(0);
    const before = readFileSync(join(out, 'report.md'), 'utf8');
    const run = spawnRapport(['report', '-', '-i', 'ors', '-o', out], { env: { TMPDIR: tmp } });
    run.child.stdin!.write(firstHalf);
    await waitFor(() => temps(parent, '.weekly.tmp-').length > 0 && readdirSync(join(parent, temps(parent, '.weekly.tmp-')[0]!)).length > 0, 'the report being written');
    run.child.kill(signal);
    expect(await run.exited).toBe(code);
    expect(readdirSync(tmp)).toEqual([]);
    expect(listDir(parent)).toEqual(['weekly']);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toBe(before);
  });
});

describe('after SIGKILL, the next run removes what the killed one left', () => {
  it('beside the output (a half-built folder and the lock), and nothing in the temp folder', async () => {
    const tmp = tempDir();
    const dir = tempDir();
    const out = join(dir, 'weekly');
    const run = spawnRapport(['report', '-', '-i', 'ors', '-o', out], { env: { TMPDIR: tmp } });
    run.child.stdin!.write(firstHalf);
    await waitFor(() => temps(dir, '.weekly.tmp-').length > 0 && readdirSync(join(dir, temps(dir, '.weekly.tmp-')[0]!)).length > 0, 'the temporary files');
    run.child.kill('SIGKILL');
    await run.exited;
    expect(temps(dir, '.weekly.tmp-', '.weekly.lock')).toHaveLength(2);
    // The next run with the same output and temp folder (its pid differs: only dead runs' files go).
    const next = spawnRapport(['report', '-', '-i', 'ors', '-o', out], { env: { TMPDIR: tmp } });
    next.child.stdin!.end(text);
    expect(await next.exited, next.err()).toBe(0);
    expect(readdirSync(tmp)).toEqual([]);
    expect(listDir(dir)).toEqual(['weekly']);
    expect(existsSync(join(out, 'report.md'))).toBe(true);
  });
  it('a temporary file of a live run is left alone', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'x'));
    const live = `.out.csv.tmp-${process.pid}-0`;
    writeFileSync(join(dir, live), 'another run is writing this');
    const run = spawnRapport(['score', SAMPLE, '-i', 'ors', '-o', join(dir, 'out.csv')]);
    expect(await run.exited).toBe(0);
    expect(listDir(dir)).toEqual([live, 'out.csv', 'x']);
  });
});
