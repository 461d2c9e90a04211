/**
 * Single outputs: a regular file is replaced atomically and keeps its permissions; a device, a
 * named pipe or a symbolic link is written through, never replaced; `-` is standard output
 * wherever a file is written; a closed pipe or closed stderr is not an error; what the machine
 * refuses (read-only, permission, full disk, a parent that is a file) is the user's to fix, exit 3
 * with a code and a hint, never an internal error.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFailure } from '../../src/output/environment.js';
import { runCli } from '../helpers/cli.js';
import { BIN, runRapport } from '../helpers/process.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const SAMPLE = 'fixtures/sample/sessions.csv';
const isRoot = process.getuid?.() === 0;

describe('outputs that are not regular files are written, not replaced', () => {
  it('-o /dev/null --errors /dev/stderr leaves /dev/null a device', () => {
    const r = runRapport(['score', SAMPLE, '-i', 'wai-sr', '-o', '/dev/null', '--errors', '/dev/stderr']);
    expect(r.status, r.stderr).toBe(0);
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
    expect(r.stderr).toContain('line,column,value,code');
  });
  it('a named pipe stays a pipe and gets the rows', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const received: Buffer[] = [];
    const reader = new Promise<void>((ok) => createReadStream(fifo).on('data', (c) => received.push(c as Buffer)).on('end', () => ok()));
    const r = await runCli(['score', SAMPLE, '-i', 'ors', '-o', fifo]);
    await reader;
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(Buffer.concat(received).toString().split('\n')[0]).toContain('ors_total');
    expect(listDir(dir)).toEqual(['pipe']);
  });
  it('a symbolic link stays a link; the file it points to is replaced', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'real.csv'), 'old');
    symlinkSync('real.csv', join(dir, 'link.csv'));
    expect((await runCli(['score', SAMPLE, '-i', 'ors', '-o', join(dir, 'link.csv')])).code).toBe(0);
    expect(lstatSync(join(dir, 'link.csv')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(dir, 'link.csv'))).toBe('real.csv');
    expect(readFileSync(join(dir, 'real.csv'), 'utf8')).toContain('ors_total');
  });
  it('a replaced regular file keeps its permissions (a private file stays private)', async () => {
    const dir = tempDir();
    const out = join(dir, 'scores.csv');
    writeFileSync(out, 'old');
    chmodSync(out, 0o600);
    expect((await runCli(['score', SAMPLE, '-i', 'ors', '-o', out])).code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(listDir(dir)).toEqual(['scores.csv']);
  });
});

describe('- is standard output wherever a file is written', () => {
  it('score --errors - writes the problems to standard output', async () => {
    const out = join(tempDir(), 's.csv');
    const r = await runCli(['score', SAMPLE, '-i', 'wai-sr', '-o', out, '--errors', '-']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('line,column,value,code,message,instrument,item');
    expect(r.stdout).toContain('RESPONSE_OUT_OF_RANGE');
  });
  it('two outputs on standard output are refused (their texts would mix)', async () => {
    const r = await runCli(['score', SAMPLE, '-i', 'wai-sr', '--errors', '-']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[TWO_OUTPUTS_TO_STDOUT]');
    const rel = await runCli(['reliability', SAMPLE, '-i', 'wai-sr', '--items-out', '-']);
    expect(rel.code).toBe(2);
  });
  it('reliability --items-out - with -o file', async () => {
    const out = join(tempDir(), 'r.csv');
    const r = await runCli(['reliability', SAMPLE, '-i', 'ors', '-o', out, '--items-out', '-']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^instrument,scale,item,/);
    expect(readFileSync(out, 'utf8')).toMatch(/^instrument,scale,n,/);
  });
  it('no folder named - is left in the project', () => {
    expect(existsSync('-')).toBe(false);
  });
});

describe('a closed pipe is not an error', () => {
  const sh = (cmd: string) => spawnSync('bash', ['-c', cmd], { encoding: 'utf8' });
  it('--help | head -1', () => {
    const r = sh(`node ${BIN} --help | head -1; exit \${PIPESTATUS[0]}`);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('Usage: rapport [options] [command]\n');
    expect(r.stderr).toBe('');
  });
  it('a long output into head -1', () => {
    const r = sh(`node ${BIN} score ${SAMPLE} -i wai-sr,ors 2>/dev/null | head -1 >/dev/null; exit \${PIPESTATUS[0]}`);
    expect(r.status).toBe(0);
  });
  it('a closed standard error', () => {
    const ok = sh(`node ${BIN} score ${SAMPLE} -i ors 2>&- >/dev/null`);
    expect(ok.status).toBe(0);
    const bad = sh(`node ${BIN} score missing.csv -i ors 2>&-`);
    expect(bad.status).toBe(3);
  });
});

describe('what the machine refuses is exit 3 with a code and a hint', () => {
  it('maps each file-system refusal to a code a person can act on', () => {
    const cases: Array<[string, string]> = [['EROFS', 'OUTPUT_READ_ONLY'], ['EACCES', 'OUTPUT_PERMISSION'], ['EPERM', 'OUTPUT_PERMISSION'], ['ENOTDIR', 'OUTPUT_PARENT_NOT_FOLDER'], ['ENOSPC', 'DISK_FULL'], ['EDQUOT', 'DISK_FULL']];
    for (const [errno, code] of cases) {
      const e = writeFailure(Object.assign(new Error(`${errno}: fake`), { code: errno }), '/x/out.csv');
      expect(e.code).toBe(code);
      expect(e.exitCode).toBe(3);
      expect(e.hint).toBeTruthy();
    }
  });
  it('a parent that is a file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), 'x');
    const r = await runCli(['score', SAMPLE, '-i', 'ors', '-o', join(dir, 'file', 'out.csv')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[OUTPUT_PARENT_NOT_FOLDER]');
    expect(r.stderr).not.toContain('internal error');
    const rep = await runCli(['report', SAMPLE, '-i', 'ors', '-o', join(dir, 'file', 'out')]);
    expect(rep.code).toBe(3);
    expect(rep.stderr).not.toContain('internal error');
  });
  it('a full disk (/dev/full)', async () => {
    const r = await runCli(['score', SAMPLE, '-i', 'ors', '-o', '/dev/full']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[DISK_FULL]');
  });
  it('no permission (not as root: root may write anywhere)', async ({ skip }) => {
    if (isRoot) skip('running as root, who is not refused by file permissions');
    const dir = tempDir();
    chmodSync(dir, 0o555);
    const r = await runCli(['score', SAMPLE, '-i', 'ors', '-o', join(dir, 'out.csv')]);
    chmodSync(dir, 0o755);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[OUTPUT_PERMISSION]');
  });

  // A read-only and a small file system, mounted for the test (root only; skipped where mounting is not allowed).
  const mounts: string[] = [];
  const mount = (options: string): string | undefined => {
    if (!isRoot) return undefined;
    const dir = tempDir();
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]).status !== 0) return undefined;
    mounts.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const m of mounts) spawnSync('umount', [m]);
  });
  it('a read-only file system', async ({ skip }) => {
    const ro = mount('ro,size=1m');
    if (!ro) skip('needs root and permission to mount a tmpfs');
    for (const args of [['score', SAMPLE, '-i', 'ors', '-o', join(ro!, 'out.csv')], ['report', SAMPLE, '-i', 'ors', '-o', join(ro!, 'rep')]]) {
      const r = await runCli(args);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain('[OUTPUT_READ_ONLY]');
    }
  });
  it('a disk that fills up while the report is written: exit 3, nothing left, the earlier report intact', async ({ skip }) => {
    const small = mount('size=200k');
    if (!small) skip('needs root and permission to mount a tmpfs');
    const out = join(small!, 'rep');
    mkdirSync(out);
    writeFileSync(join(out, '.rapport-manifest.json'), JSON.stringify({ tool: 'rapport', version: '0', command: 'report', files: [] }));
    const r = await runCli(['report', SAMPLE, '-i', 'wai-sr,ors', '-o', out]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toContain('[DISK_FULL]');
    expect(listDir(small!)).toEqual(['rep']);
    expect(listDir(out)).toEqual(['.rapport-manifest.json']);
  });
});
