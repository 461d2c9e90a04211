/**
 * Input that lies: a column map that reads one answer twice or names an instrument not being
 * scored, a record far longer than any questionnaire row, a stream that never ends, binary data.
 * Each is refused at once with a code, the place, and what to do; nothing is written.
 */
import { Readable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { runCli } from '../helpers/cli.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const SAMPLE = 'fixtures/sample/sessions.csv';

describe('--map is checked as a definition is', () => {
  const map = (content: unknown) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'map.json'), JSON.stringify(content));
    return join(dir, 'map.json');
  };
  it('two items on one column: INSTRUMENT_DUPLICATE_COLUMN', async () => {
    const r = await runCli(['score', SAMPLE, '-i', 'wai-sr', '--map', map({ 'wai-sr': { 1: 'wai2' } })]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[INSTRUMENT_DUPLICATE_COLUMN]');
    expect(r.stderr).toContain('items 1 and 2');
    const both = await runCli(['score', SAMPLE, '-i', 'wai-sr', '--map', map({ 'wai-sr': { 3: 'Q1', 4: 'q1 ' } })]);
    expect(both.stderr).toContain('[INSTRUMENT_DUPLICATE_COLUMN]');
  });
  it('a section for an instrument not given with -i: INSTRUMENT_UNKNOWN', async () => {
    const r = await runCli(['score', SAMPLE, '-i', 'ors', '--map', map({ ors: { 1: 'ors1' }, 'wai_sr': { 1: 'x' } })]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[INSTRUMENT_UNKNOWN]');
    expect(r.stderr).toContain('wai_sr');
  });
});

describe('records longer than the limit, and data that are not text', () => {
  it('a line of 2 MB is refused at once with its line number; --max-record-size lets it through', async () => {
    const dir = tempDir();
    const file = join(dir, 'long.csv');
    writeFileSync(file, `client_id,note,ors1,ors2,ors3,ors4\nC1,short,1,2,3,4\nC2,${'x'.repeat(2 << 20)},1,2,3,4\nC3,short,1,2,3,4\n`);
    const started = Date.now();
    const r = await runCli(['score', file, '-i', 'ors', '-o', join(dir, 'out.csv')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[CSV_RECORD_TOO_LONG]');
    expect(r.stderr).toContain(`${file}:3`);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(listDir(dir)).toEqual(['long.csv']);
    const raised = await runCli(['score', file, '-i', 'ors', '--max-record-size', '4MB', '-o', join(dir, 'out.csv')]);
    expect(raised.code, raised.stderr).toBe(0);
  });
  it('an unclosed quote that swallows the rest of a large file is refused at the limit, not read to the end', async () => {
    const dir = tempDir();
    const file = join(dir, 'quote.csv');
    writeFileSync(file, `client_id,note,ors1,ors2,ors3,ors4\nC1,"never closed,1,2,3,4\n${'C2,x,1,2,3,4\n'.repeat(200_000)}`);
    const r = await runCli(['score', file, '-i', 'ors', '-o', join(dir, 'out.csv')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[CSV_RECORD_TOO_LONG]');
    expect(r.stderr).toContain(`${file}:2`);
  });
  it('an endless stream of zero bytes (like /dev/zero) on standard input stops at the first chunk', async () => {
    let sent = 0;
    const zeros = new Readable({
      read() {
        sent += 1 << 16;
        this.push(Buffer.alloc(1 << 16));
      },
    });
    const err: string[] = [];
    const sink = new (await import('node:stream')).PassThrough();
    sink.resume();
    const code = await main(['score', '-', '-i', 'ors'], { stdin: zeros, stdout: sink, stderr: Object.assign(new (await import('node:stream')).PassThrough(), { write: (s: string) => err.push(s) }) as never, env: {}, stderrIsTTY: false });
    zeros.destroy();
    expect(code).toBe(3);
    expect(err.join('')).toContain('[CSV_BINARY]');
    expect(sent).toBeLessThan(16 << 20);
  });
  it('/dev/zero given by name', async () => {
    const r = await runCli(['score', '/dev/zero', '-i', 'ors']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[CSV_BINARY]');
  });
  it('a bad --max-record-size is a usage error', async () => {
    expect((await runCli(['score', SAMPLE, '-i', 'ors', '--max-record-size', 'lots'])).code).toBe(2);
  });
});
