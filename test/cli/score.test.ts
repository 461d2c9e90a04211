/** `rapport score` end to end, in-process: outputs, exit codes, problems, and nothing half-written. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { runCli } from '../helpers/cli.js';
import { readCsvObjects } from '../helpers/csv.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const SAMPLE = 'fixtures/sample/sessions.csv';
const WAI_SR_HEADER = 'client_id,wai1,wai2,wai3,wai4,wai5,wai6,wai7,wai8,wai9,wai10,wai11,wai12';
const write = (dir: string, name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('score on the sample data', async () => {
  const dir = tempDir();
  const out = join(dir, 'scores.csv');
  const errors = join(dir, 'problems.csv');
  const result = await runCli(['score', SAMPLE, '-i', 'wai-sr,ors', '-o', out, '--errors', errors]);
  const input = readCsvObjects(SAMPLE);
  const scored = readCsvObjects(out);

  it('exits 0 and writes one output row per input row, in order, input columns unchanged', () => {
    expect(result.code).toBe(0);
    expect(scored).toHaveLength(input.length);
    scored.forEach((row, i) => {
      for (const [k, v] of Object.entries(input[i]!)) expect(row[k]).toBe(v);
    });
  });

  it('appends the documented columns after the input columns', () => {
    const header = readFileSync(out, 'utf8').split('\n')[0]!.split(',');
    const inputHeader = readFileSync(SAMPLE, 'utf8').split('\n')[0]!.split(',');
    expect(header.slice(0, inputHeader.length)).toEqual(inputHeader);
    expect(header.slice(inputHeader.length)).toEqual([
      'wai_sr_task', 'wai_sr_bond', 'wai_sr_goal', 'wai_sr_total', 'wai_sr_answered', 'wai_sr_status', 'wai_sr_problems',
      'ors_total', 'ors_answered', 'ors_status', 'ors_problems',
    ]);
  });

  it('lists the sample\'s deliberate problems with file lines (fixtures/sample/README.md)', () => {
    const problems = readCsvObjects(errors);
    expect(problems.map((p) => [p.line, p.column, p.value, p.code])).toEqual([
      ['884', 'wai5', '0', 'RESPONSE_OUT_OF_RANGE'],
      ['1521', 'ors3', 'n/a', 'RESPONSE_NOT_NUMERIC'],
      ['2004', 'wai9', '6', 'RESPONSE_OUT_OF_RANGE'],
    ]);
  });

  it('maps the sample\'s label answers to their values (C0264 session 6: wai7 "Always" = 5)', () => {
    const row = scored.find((r) => r.client_id === 'C0264' && r.session === '6')!;
    expect(row.wai7).toBe('Always');
    expect(row.wai_sr_status).not.toBe('invalid');
    const bond = ['wai3', 'wai5', 'wai7', 'wai9'].map((c) => (c === 'wai7' ? 5 : Number(row[c])));
    if (bond.every((v) => !Number.isNaN(v) && v > 0)) expect(Number(row.wai_sr_bond)).toBe(bond.reduce((a, b) => a + b));
  });

  it('prints a summary on stderr that adds up', () => {
    expect(result.stderr).toContain(`${input.length} rows read`);
    for (const id of ['wai-sr', 'ors']) {
      const prefix = id.replace('-', '_');
      const n = (status: string) => scored.filter((r) => r[`${prefix}_status`] === status).length;
      const line = result.stderr.split('\n').find((l) => l.trim().startsWith(id))!;
      expect(line).toContain(`${n('ok') + n('prorated')} scored (${n('ok')} complete, ${n('prorated')} prorated) · ${n('incomplete')} incomplete · ${n('invalid')} invalid`);
    }
    expect(result.stderr).toContain('3 problems');
  });

  it('leaves no temporary files behind', () => {
    expect(listDir(dir)).toEqual(['problems.csv', 'scores.csv']);
  });
});

describe('score options', () => {
  it('--strict exits 1 when there are problems, and still writes the output', async () => {
    const dir = tempDir();
    const r = await runCli(['score', SAMPLE, '-i', 'wai-sr', '--strict', '-o', join(dir, 's.csv')]);
    expect(r.code).toBe(1);
    expect(listDir(dir)).toEqual(['s.csv']);
  });

  it('--strict exits 0 when there are none', async () => {
    const dir = tempDir();
    const f = write(dir, 'in.csv', `${WAI_SR_HEADER}\nA,1,2,3,4,5,1,2,3,4,5,1,2\n`);
    expect((await runCli(['score', f, '-i', 'wai-sr', '--strict'])).code).toBe(0);
  });

  it('matches headers ignoring case and surrounding spaces', async () => {
    const dir = tempDir();
    const f = write(dir, 'in.csv', `id, WAI1 ,Wai2,wai3,wai4,wai5,wai6,wai7,wai8,wai9,wai10,wai11,WAI12\nA,1,2,3,4,5,1,2,3,4,5,1,2\n`);
    const r = await runCli(['score', f, '-i', 'wai-sr']);
    expect(r.code).toBe(0);
    expect(readCsvObjects(r.stdout, true)[0]).toMatchObject({ wai_sr_task: '10', wai_sr_total: '33', wai_sr_status: 'ok' });
  });

  it('--map reads items from other columns', async () => {
    const dir = tempDir();
    const f = write(dir, 'in.csv', `id,${range(12).map((i) => `Q${i}`).join(',')}\nA,1,2,3,4,5,1,2,3,4,5,1,2\n`);
    const map = write(dir, 'map.json', JSON.stringify({ 'wai-sr': Object.fromEntries(range(12).map((i) => [String(i), `Q${i}`])) }));
    const r = await runCli(['score', f, '-i', 'wai-sr', '--map', map]);
    expect(r.code).toBe(0);
    expect(readCsvObjects(r.stdout, true)[0]).toMatchObject({ wai_sr_task: '10', wai_sr_bond: '14', wai_sr_goal: '9', wai_sr_total: '33' }); // task 1+2+5+2, bond 3+5+2+4, goal 4+1+3+1
  });

  it('--map naming an item the instrument lacks is unusable input with its JSON path', async () => {
    const dir = tempDir();
    const map = write(dir, 'map.json', JSON.stringify({ 'wai-sr': { '13': 'x' } }));
    const r = await runCli(['score', SAMPLE, '-i', 'wai-sr', '--map', map]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[INSTRUMENT_UNKNOWN_ITEM]');
    expect(r.stderr).toContain('$["wai-sr"]["13"]');
  });

  it('--digits rounds scores; a bad value is a usage error', async () => {
    const r = await runCli(['score', SAMPLE, '-i', 'wai-sr', '--digits', '2']);
    expect(readCsvObjects(r.stdout, true)[0]!.wai_sr_total).toBe('43.64'); // 40 / 11 × 12 = 43.6363…
    expect((await runCli(['score', SAMPLE, '-i', 'wai-sr', '--digits', 'two'])).code).toBe(2);
  });

  it('--format json writes an array of objects with numbers, nulls and problem objects', async () => {
    const r = await runCli(['score', SAMPLE, '-i', 'ors', '--format', 'json']);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(2510);
    expect(rows[0]).toMatchObject({ client_id: 'C0001', ors_total: 29.1, ors_answered: 4, ors_status: 'ok', ors_problems: [] });
    expect(rows.find((x) => x.ors_status === 'invalid')!.ors_problems).toEqual([
      { item: '3', column: 'ors3', value: 'n/a', code: 'RESPONSE_NOT_NUMERIC', message: expect.any(String) },
    ]);
  });

  it('reads standard input with -', async () => {
    const r = await runCli(['score', '-', '-i', 'wai-sr'], { stdin: `${WAI_SR_HEADER}\nA,5,5,5,5,5,5,5,5,5,5,5,\n` });
    expect(r.code).toBe(0);
    expect(readCsvObjects(r.stdout, true)[0]).toMatchObject({ wai_sr_task: '20', wai_sr_total: '60', wai_sr_status: 'prorated' });
  });

  it('scores with a user definition given by path', async () => {
    const dir = tempDir();
    const def = write(dir, 'two.json', JSON.stringify({ id: 'two', name: 'Two', responseScale: { min: 0, max: 3 }, higherIsBetter: false, items: [{ id: 'a', column: 'a' }, { id: 'b', column: 'b', reverse: true }], scales: [{ id: 'total', name: 'Total', items: ['a', 'b'], method: 'sum' }] }));
    const f = write(dir, 'in.csv', 'a,b\n3,0\n1,2\n');
    const r = await runCli(['score', f, '-i', def]);
    expect(readCsvObjects(r.stdout, true).map((x) => x.two_total)).toEqual(['6', '2']);
  });

  it('warns on stderr when a provisional key is used', async () => {
    const r = await runCli(['score', 'fixtures/score/responses.csv', '-i', 'wai-s']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning:.*wai-s.*provisional/);
  });

  it('colours stderr only on a TTY and never with NO_COLOR', async () => {
    const tty = await runCli(['score', SAMPLE, '-i', 'wai-sr', '-o', join(tempDir(), 'x.csv')], { tty: true });
    expect(tty.stderr).toMatch(/\u001b\[/);
    const noColor = await runCli(['score', SAMPLE, '-i', 'wai-sr', '-o', join(tempDir(), 'x.csv')], { tty: true, env: { NO_COLOR: '1' } });
    expect(noColor.stderr).not.toMatch(/\u001b\[/);
    const piped = await runCli(['score', SAMPLE, '-i', 'wai-sr', '-o', join(tempDir(), 'x.csv')]);
    expect(piped.stderr).not.toMatch(/\u001b\[/);
  });
});

describe('score refuses unusable input with exit 3 and leaves nothing behind', () => {
  const cases: Array<[string, string, string, RegExp?]> = [
    ['an empty file', '', 'CSV_EMPTY'],
    ['a header without rows', `${WAI_SR_HEADER}\n`, 'CSV_NO_ROWS'],
    ['duplicate column names', `${WAI_SR_HEADER},wai1\nA,1,1,1,1,1,1,1,1,1,1,1,1,1\n`, 'CSV_DUPLICATE_HEADER'],
    ['a ragged row', `${WAI_SR_HEADER}\nA,1,1,1,1,1,1,1,1,1,1,1,1\nB,1,1\n`, 'CSV_RAGGED_ROW', /in\.csv:3/],
    ['an unclosed quote', `${WAI_SR_HEADER}\nA,1,1,1,1,1,1,1,1,1,1,1,1\n"B,1,1,1,1,1,1,1,1,1,1,1,1\n`, 'CSV_UNCLOSED_QUOTE'],
    ['columns the instrument needs are missing', 'client_id,wai1,wai2\nA,1,2\n', 'COLUMNS_MISSING', /wai3 \(item 3\)/],
    ['a file that is already scored', `${WAI_SR_HEADER},wai_sr_total\nA,1,1,1,1,1,1,1,1,1,1,1,1,12\n`, 'COLUMN_EXISTS'],
  ];
  it.each(cases)('%s', async (_what, text, code, where) => {
    const dir = tempDir();
    const f = write(dir, 'in.csv', text);
    const r = await runCli(['score', f, '-i', 'wai-sr', '-o', join(dir, 'out.csv'), '--errors', join(dir, 'problems.csv')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`[${code}]`);
    if (where) expect(r.stderr).toMatch(where);
    expect(listDir(dir)).toEqual(['in.csv']);
  });

  it('a failure after many rows removes the partial output', async () => {
    const dir = tempDir();
    const rows = Array.from({ length: 5000 }, (_, i) => `C${i},1,2,3,4,5,1,2,3,4,5,1,2`);
    const f = write(dir, 'in.csv', `${WAI_SR_HEADER}\n${rows.join('\n')}\nbroken,1\n`);
    const r = await runCli(['score', f, '-i', 'wai-sr', '-o', join(dir, 'out.csv')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('in.csv:5002');
    expect(listDir(dir)).toEqual(['in.csv']);
  });

  it('an unknown instrument, with a suggestion', async () => {
    const r = await runCli(['score', SAMPLE, '-i', 'wai-rs']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[INSTRUMENT_UNKNOWN]');
    expect(r.stderr).toContain('did you mean wai-s or wai-sr?');
  });

  it('a missing input file', async () => {
    const r = await runCli(['score', 'no/such.csv', '-i', 'wai-sr']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[FILE_NOT_FOUND]');
  });
});

describe('score usage errors exit 2', () => {
  it('refuses -o equal to the input and leaves the input untouched', async () => {
    const dir = tempDir();
    const text = `${WAI_SR_HEADER}\nA,1,2,3,4,5,1,2,3,4,5,1,2\n`;
    const f = write(dir, 'in.csv', text);
    const r = await runCli(['score', f, '-i', 'wai-sr', '-o', join(dir, '.', 'in.csv')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('[OUTPUT_IS_INPUT]');
    expect(readFileSync(f, 'utf8')).toBe(text);
  });
  it.each([
    [['score', SAMPLE]],
    [['score', SAMPLE, '-i', 'wai-sr', '--format', 'xml']],
    [['score', SAMPLE, '-i', 'wai-sr', '--bogus']],
    [['score', SAMPLE, '-i', ',']],
    [['frobnicate']],
  ])('%j', async (argv) => {
    expect((await runCli(argv)).code).toBe(2);
  });
});

describe('score streams', () => {
  it('writes output before it has read the whole input', async () => {
    const total = 200_000;
    let produced = 0;
    let producedAtFirstOutput = -1;
    function* lines() {
      yield `${WAI_SR_HEADER}\n`;
      for (let i = 0; i < total; i += 500) {
        let chunk = '';
        for (let j = i; j < i + 500; j++) chunk += `C${j},1,2,3,4,5,1,2,3,4,5,1,2\n`;
        produced = i + 500;
        yield chunk;
      }
    }
    const stdout = new PassThrough();
    let rowsOut = 0;
    stdout.on('data', (c: Buffer) => {
      rowsOut += c.toString().split('\n').length - 1;
      if (rowsOut > 1 && producedAtFirstOutput < 0) producedAtFirstOutput = produced;
    });
    const code = await main(['score', '-', '-i', 'wai-sr'], { stdin: Readable.from(lines()), stdout, stderr: new PassThrough(), env: {}, stderrIsTTY: false });
    expect(code).toBe(0);
    expect(rowsOut).toBe(total + 1);
    expect(producedAtFirstOutput).toBeGreaterThan(0);
    expect(producedAtFirstOutput).toBeLessThan(total / 4);
  });
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
