/**
 * Nothing of the user's is ever lost: `report -o` and `trajectories -o` replace only a folder an
 * earlier run wrote (its manifest says which files, with their digests), refuse anything else by
 * name, keep the folder's mode, put one run's files in place whole, and let one run at a time write
 * a folder.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { deadPid, runRapport, spawnRapport, waitFor } from '../helpers/process.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const SAMPLE = 'fixtures/sample/sessions.csv';
const CLEAN = 'fixtures/formats/clean.csv';

/** Every file under a folder with its content, to show nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, prefix: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
      else out[`${prefix}${e.name}`] = readFileSync(join(d, e.name), 'utf8');
    }
  };
  walk(dir, '');
  return out;
}

describe('report -o refuses a folder rapport did not write, and changes nothing in it', () => {
  it('a project folder with .git/, data and notes', async () => {
    const project = tempDir();
    mkdirSync(join(project, '.git', 'refs'), { recursive: true });
    writeFileSync(join(project, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(project, 'data.csv'), 'a,b\n1,2\n');
    writeFileSync(join(project, 'notes.md'), '# my notes\n');
    writeFileSync(join(project, 'report.md'), '# my own report, not rapport\'s\n');
    const before = snapshot(project);
    const r = await runCli(['report', SAMPLE, '-i', 'ors', '-o', project]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[OUTPUT_FOLDER_NOT_OURS]');
    for (const name of ['.git/HEAD', 'data.csv', 'notes.md', 'report.md']) expect(r.stderr).toContain(name);
    expect(snapshot(project)).toEqual(before);
  });

  it('-o . (the current folder) when it holds anything else', () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'thesis.docx'), 'precious');
    const r = runRapport(['report', join(process.cwd(), SAMPLE), '-i', 'ors', '-o', '.'], { cwd });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('thesis.docx');
    expect(listDir(cwd)).toEqual(['thesis.docx']);
  });

  it("a user's notes put beside an earlier report", async () => {
    const out = join(tempDir(), 'weekly');
    expect((await runCli(['report', SAMPLE, '-i', 'ors', '-o', out])).code).toBe(0);
    writeFileSync(join(out, 'my-notes.txt'), 'call C0042 on Monday');
    const r = await runCli(['report', SAMPLE, '-i', 'ors', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('my-notes.txt');
    expect(readFileSync(join(out, 'my-notes.txt'), 'utf8')).toBe('call C0042 on Monday');
  });

  it('a file of the earlier report that the user edited', async () => {
    const out = join(tempDir(), 'weekly');
    expect((await runCli(['report', SAMPLE, '-i', 'ors', '-o', out])).code).toBe(0);
    writeFileSync(join(out, 'report.md'), `${readFileSync(join(out, 'report.md'), 'utf8')}\nMy comments on this week.\n`);
    const r = await runCli(['report', SAMPLE, '-i', 'ors', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('report.md (changed since rapport wrote it)');
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('My comments on this week.');
  });

  it('-o naming a file, or - (standard output): usage errors', async () => {
    const file = join(tempDir(), 'x.txt');
    writeFileSync(file, 'keep');
    expect((await runCli(['report', SAMPLE, '-i', 'ors', '-o', file])).stderr).toContain('[OUTPUT_NOT_A_FOLDER]');
    expect(readFileSync(file, 'utf8')).toBe('keep');
    const dash = await runCli(['report', SAMPLE, '-i', 'ors', '-o', '-']);
    expect(dash.code).toBe(2);
    expect(dash.stderr).toContain('[OUTPUT_FOLDER_REQUIRED]');
  });

  it('a report folder written before manifests is recognised by its files and replaced', async () => {
    const out = join(tempDir(), 'old');
    mkdirSync(join(out, 'figures'), { recursive: true });
    for (const f of ['report.md', 'report.html', 'scores.csv', 'reliability.csv', 'items.csv', 'trajectories.csv', 'events.csv', 'therapists.csv', 'cohort.json']) writeFileSync(join(out, f), 'old');
    writeFileSync(join(out, 'figures', 'ors-total-by-session.svg'), '<svg/>');
    const r = await runCli(['report', SAMPLE, '-i', 'ors', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(out, '.rapport-manifest.json'))).toBe(true);
  });
});

describe('trajectories -o: one run\'s files, all of them', () => {
  it('reused for another input, leaves no file of the earlier run (a stale problems.csv)', async () => {
    const out = join(tempDir(), 'alliance');
    expect((await runCli(['trajectories', SAMPLE, '-i', 'wai-sr', '-o', out])).code).toBe(0);
    expect(existsSync(join(out, 'problems.csv'))).toBe(true);
    const clean = await runCli(['trajectories', CLEAN, '-i', 'wai-sr', '-o', out]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(listDir(out)).toEqual(['.rapport-manifest.json', 'attention.csv', 'cohort.json', 'events.csv', 'therapists.csv', 'trajectories.csv']);
    expect(JSON.parse(readFileSync(join(out, 'cohort.json'), 'utf8')).input).toBe(CLEAN);
  });
  it('refuses a folder with other files, and -o - with CSV', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'analysis.R'), 'x <- 1');
    const r = await runCli(['trajectories', SAMPLE, '-i', 'ors', '-o', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('analysis.R');
    expect(listDir(dir)).toEqual(['analysis.R']);
    const dash = await runCli(['trajectories', SAMPLE, '-i', 'ors', '-o', '-']);
    expect(dash.code).toBe(2);
    expect(dash.stderr).toContain('[OUTPUT_FOLDER_REQUIRED]');
  });
  it('--format json -o - writes the document to standard output; -o file to a file', async () => {
    const r = await runCli(['trajectories', SAMPLE, '-i', 'ors', '--format', 'json', '-o', '-']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).cohort.measure).toBe('ors/total');
    const file = join(tempDir(), 't.json');
    expect((await runCli(['trajectories', SAMPLE, '-i', 'ors', '--format', 'json', '-o', file])).code).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).cohort.measure).toBe('ors/total');
  });
});

describe('one run at a time per folder', () => {
  it('four concurrent report -o same: one wins, the others say why (exit 3, OUTPUT_BUSY)', async () => {
    const parent = tempDir();
    const out = join(parent, 'weekly');
    // Each run reads standard input: the lock is taken before the input is read, so the runs wait
    // there while holding or having been refused the folder.
    const runs = Array.from({ length: 4 }, () => spawnRapport(['report', '-', '-i', 'ors', '-o', out]));
    const codes = new Map<number, number>();
    runs.forEach((r, i) => void r.exited.then((c) => codes.set(i, c)));
    await waitFor(() => codes.size === 3, 'three runs to be refused');
    const winner = runs.findIndex((_, i) => !codes.has(i));
    for (const [i, code] of codes) {
      expect(code, runs[i]!.err()).toBe(3);
      expect(runs[i]!.err()).toContain('[OUTPUT_BUSY]');
    }
    runs[winner]!.child.stdin!.end(readFileSync(SAMPLE));
    expect(await runs[winner]!.exited, runs[winner]!.err()).toBe(0);
    expect(listDir(parent)).toEqual(['weekly']);
  });
  it('a lock being created (still empty) turns a run away; one left empty long ago is taken over', async () => {
    const parent = tempDir();
    const lock = join(parent, '.weekly.lock');
    writeFileSync(lock, '');
    const young = await runCli(['report', SAMPLE, '-i', 'ors', '-o', join(parent, 'weekly')]);
    expect(young.code, young.stderr).toBe(3);
    expect(young.stderr).toContain('[OUTPUT_BUSY]');
    const past = new Date(Date.now() - 5 * 60_000);
    utimesSync(lock, past, past);
    const old = await runCli(['report', SAMPLE, '-i', 'ors', '-o', join(parent, 'weekly')]);
    expect(old.code, old.stderr).toBe(0);
    expect(listDir(parent)).toEqual(['weekly']);
  });
  it('a lock left by a killed run is taken over', async () => {
    const parent = tempDir();
    writeFileSync(join(parent, '.weekly.lock'), `${deadPid()}\n`);
    const r = await runCli(['report', SAMPLE, '-i', 'ors', '-o', join(parent, 'weekly')]);
    expect(r.code, r.stderr).toBe(0);
    expect(listDir(parent)).toEqual(['weekly']);
  });
});

describe('the folder is replaced whole and keeps its mode', () => {
  it('a new folder gets the usual mode (not the 0700 of a temporary folder)', async () => {
    const out = join(tempDir(), 'r');
    expect((await runCli(['report', SAMPLE, '-i', 'ors', '-o', out])).code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o777 & ~process.umask());
  });
  it('a replaced folder keeps a private mode', async () => {
    const out = join(tempDir(), 'r');
    expect((await runCli(['report', SAMPLE, '-i', 'ors', '-o', out])).code).toBe(0);
    chmodSync(out, 0o700);
    expect((await runCli(['trajectories', SAMPLE, '-i', 'ors', '-o', join(tempDir(), 't')])).code).toBe(0);
    expect((await runCli(['report', SAMPLE, '-i', 'wai-sr', '-o', out])).code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('wai-sr');
  });
});
