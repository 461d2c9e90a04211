/**
 * Numbers in CSV as R's write.csv writes them: 15 significant digits, fixed or scientific
 * notation as R chooses (fixtures/numbers/r_format.csv, made by fixtures/numbers/r_format.R with
 * R 4.2.2), so 30.2 is never 30.200000000000003; --digits rounds further; JSON keeps every bit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatNumber, rNumber } from '../../src/report/format.js';
import { runCli } from '../helpers/cli.js';
import { readCsvObjects } from '../helpers/csv.js';
import { tempDir } from '../helpers/tmp.js';

const SAMPLE = 'fixtures/sample/sessions.csv';

describe('rNumber', () => {
  const cases = readCsvObjects('fixtures/numbers/r_format.csv');
  it(`writes each of ${cases.length} doubles as R 4.2.2's write.csv does`, () => {
    const wrong = cases.filter((c) => rNumber(Number(c.exact)) !== c.r).map((c) => `${c.exact}: R ${c.r}, rapport ${rNumber(Number(c.exact))}`);
    expect(wrong).toEqual([]);
  });
  it('writes whole numbers below 2^53 as integers, as R writes integer columns', () => {
    expect([0, -0, 7, 100000, 1e15, -42].map((x) => formatNumber(x))).toEqual(['0', '0', '7', '100000', '1000000000000000', '-42']);
  });
  it('rounds with --digits first, half away from zero', () => {
    expect([formatNumber(1.005, 2), formatNumber(43.63636363636363, 2), formatNumber(-2.5, 0), formatNumber(null)]).toEqual(['1.01', '43.64', '-3', '']);
  });
});

describe('the files rapport writes', () => {
  it('score: a prorated WAI-SR total and an ORS total as R writes them; JSON keeps full precision', async () => {
    const csv = readCsvObjects((await runCli(['score', SAMPLE, '-i', 'wai-sr,ors'])).stdout, true);
    expect(csv[0]).toMatchObject({ wai_sr_task: '13.3333333333333', wai_sr_total: '43.6363636363636', ors_total: '29.1' });
    const json = JSON.parse((await runCli(['score', SAMPLE, '-i', 'wai-sr,ors', '--format', 'json'])).stdout);
    expect(json[0].wai_sr_total).toBe(43.63636363636363);
  });
  it('trajectories.csv: 30.2, not 30.200000000000003; every number has at most 15 significant digits', async () => {
    const out = join(tempDir(), 't');
    expect((await runCli(['trajectories', SAMPLE, '-i', 'ors', '-o', out])).code).toBe(0);
    const text = readFileSync(join(out, 'trajectories.csv'), 'utf8');
    expect(readCsvObjects(join(out, 'trajectories.csv'))[0]!.last_score).toBe('30.2');
    for (const n of text.match(/-?\d+\.\d+(e[+-]\d+)?/g) ?? []) expect(n.replace(/^-?0*\.?0*|\.|e.*$/g, '').length, n).toBeLessThanOrEqual(15);
  });
});
