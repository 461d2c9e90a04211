/**
 * PHQ-9, GAD-7 and CORE-10 scored as their manuals say (docs/outcome-measures.md), worked by hand:
 * plain sums; PHQ-9 prorated with up to two items missing (mean × 9), GAD-7 with none; CORE-10
 * items 2 and 3 reversed (4 − x) and prorated with one missing (mean × 10, the "clinical score").
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readCsvObjects } from '../helpers/csv.js';
import { tempDir } from '../helpers/tmp.js';

async function score(id: string, prefix: string, n: number, rows: string[][]) {
  const d = tempDir();
  const cols = Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
  writeFileSync(join(d, 'x.csv'), `client_id,${cols.join(',')}\n${rows.map((r, i) => [`C${i}`, ...r].join(',')).join('\n')}\n`);
  const r = await runCli(['score', join(d, 'x.csv'), '-i', id]);
  expect(r.code, r.stderr).toBe(0);
  return readCsvObjects(r.stdout, true);
}

describe('outcome measures', () => {
  it('PHQ-9: sum 0–27; two missing items prorated (15 over 7 items × 9 = 19.2857…); three missing: no score', async () => {
    const out = await score('phq-9', 'phq', 9, [
      ['3', '3', '3', '3', '3', '3', '3', '3', '3'],
      ['3', '3', '3', '2', '2', '1', '1', '', ''],
      ['3', '3', '3', '2', '2', '1', '', '', ''],
      ['Nearly every day', 'several days', '0', '0', '0', '0', '0', '0', '1'],
    ]);
    expect(out.map((r) => [r.phq_9_total, r.phq_9_status])).toEqual([['27', 'ok'], ['19.2857142857143', 'prorated'], ['', 'incomplete'], ['5', 'ok']]);
  });
  it('GAD-7: sum 0–21; no item may be missing', async () => {
    const out = await score('gad-7', 'gad', 7, [['1', '2', '3', '0', '1', '2', '3'], ['1', '2', '3', '0', '1', '2', '']]);
    expect(out.map((r) => [r.gad_7_total, r.gad_7_status])).toEqual([['12', 'ok'], ['', 'incomplete']]);
  });
  it('CORE-10: items 2 and 3 reversed; one missing item prorated (item mean × 10)', async () => {
    // All 4s: 8 × 4 + (4 − 4) × 2 = 32. Row 2 drops item 10: (32 − 4) / 9 × 10 = 31.111…
    const out = await score('core-10', 'core', 10, [
      ['4', '4', '4', '4', '4', '4', '4', '4', '4', '4'],
      ['4', '4', '4', '4', '4', '4', '4', '4', '4', ''],
      ['0', '0', '0', '0', '0', '0', '0', '0', '0', '0'],
    ]);
    expect(out.map((r) => [r.core_10_total, r.core_10_status])).toEqual([['32', 'ok'], ['31.1111111111111', 'prorated'], ['8', 'ok']]);
  });
});
