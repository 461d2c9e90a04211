/** `rapport instruments list|show|validate` end to end. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

describe('instruments list', () => {
  it('prints a table of the bundled instruments', async () => {
    const r = await runCli(['instruments', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^id\s+items\s+scales\s+key\s+name$/);
    expect(r.stdout).toMatch(/^wai-sr\s+12\s+task,bond,goal,total\s+verified\s+/m);
    expect(r.stdout).toMatch(/^seq\s+21\s+depth,smoothness,positivity,arousal\s+provisional\s+/m);
  });
  it('prints JSON with --format json', async () => {
    const r = await runCli(['instruments', 'list', '--format', 'json']);
    const list = JSON.parse(r.stdout) as Array<{ id: string; items: number; keyStatus: string }>;
    expect(list.map((i) => i.id)).toEqual(['core-10', 'crf-s', 'csq-8', 'gad-7', 'ors', 'phq-9', 'seq', 'srs', 'wai', 'wai-s', 'wai-s-therapist', 'wai-sr', 'wai-therapist']);
    expect(list.find((i) => i.id === 'wai')).toMatchObject({ items: 36, keyStatus: 'provisional' });
  });
});

describe('instruments show', () => {
  it('shows scales with reverse-keyed items marked, licence and key status', async () => {
    const r = await runCli(['instruments', 'show', 'wai-s']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/goal\s+sum\s+4–28\s+1\s+4R 6 10R 11/);
    expect(r.stdout).toContain('key status: provisional');
    expect(r.stdout).toContain('licence:');
  });
  it('prints the definition itself with --format json', async () => {
    const r = await runCli(['instruments', 'show', 'ors', '--format', 'json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'ors', responseScale: { min: 0, max: 10, continuous: true } });
  });
  it('explains why the 36-item CRF is not bundled and how to supply it (exit 3)', async () => {
    const r = await runCli(['instruments', 'show', 'crf']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[INSTRUMENT_NOT_BUNDLED]');
    expect(r.stderr).toMatch(/missing: which of the 36 bipolar adjective pairs/);
    expect(r.stderr).toMatch(/rapport instruments validate crf\.json/);
  });
  it('an unknown id exits 3', async () => {
    expect((await runCli(['instruments', 'show', 'nope'])).code).toBe(3);
  });
});

describe('instruments validate', () => {
  it('accepts every bundled definition', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync('instruments').filter((f) => f.endsWith('.json') && f !== 'instrument.schema.json').map((f) => `instruments/${f}`);
    const r = await runCli(['instruments', 'validate', ...files]);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/: valid/g)).toHaveLength(13);
  });
  it('lists every problem with its JSON path and exits 3', async () => {
    const dir = tempDir();
    const good = join(dir, 'good.json');
    const bad = join(dir, 'bad.json');
    const def = { id: 'toy', name: 'Toy', responseScale: { min: 1, max: 5 }, higherIsBetter: true, items: [{ id: '1', column: 'a' }, { id: '2', column: 'b' }], scales: [{ id: 't', name: 'T', items: ['1', '2'], method: 'sum' }] };
    writeFileSync(good, JSON.stringify(def));
    writeFileSync(bad, JSON.stringify({ ...def, responseScale: { min: 5, max: 5 }, items: [...def.items, { id: '1', column: 'c' }], scales: [{ id: 't', name: 'T', items: ['1', '3'], method: 'sum' }] }));
    const r = await runCli(['instruments', 'validate', good, bad]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`${good}: valid`);
    expect(r.stdout).toContain(`${bad}: 3 problems`);
    expect(r.stdout).toContain('$.responseScale: min (5) must be less than max (5) [INSTRUMENT_SCALE_RANGE]');
    expect(r.stdout).toContain('$.items[2].id: item id "1" is used more than once [INSTRUMENT_DUPLICATE_ITEM_ID]');
    expect(r.stdout).toContain('$.scales[0].items[1]: scale "t" names item "3"');
  });
  it('reports a file that is not JSON, or not there', async () => {
    const dir = tempDir();
    const f = join(dir, 'x.json');
    writeFileSync(f, '{ "id": ');
    const r = await runCli(['instruments', 'validate', f, join(dir, 'missing.json')]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('[INSTRUMENT_JSON_SYNTAX]');
    expect(r.stdout).toContain('[INSTRUMENT_FILE_NOT_FOUND]');
  });
  it('scoring with an invalid definition is unusable input, listing the problems', async () => {
    const dir = tempDir();
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify({ id: 'bad', name: 'x' }));
    const r = await runCli(['score', 'fixtures/sample/sessions.csv', '-i', f]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[INSTRUMENT_INVALID]');
    expect(r.stderr).toContain('$.items: required field "items" is missing');
  });
});

describe('help', () => {
  it('documents the exit codes and exits 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Exit codes:');
  });
  it('score --help shows examples', async () => {
    const r = await runCli(['score', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('$ rapport score fixtures/sample/sessions.csv');
  });
});
