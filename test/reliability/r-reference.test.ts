/**
 * `rapport reliability` against psych 2.2.9 (psych::alpha) and lavaan 0.6.14 (cfa, std.lv = TRUE),
 * computed by fixtures/reliability/expected.R (R 4.2.2; see fixtures/reliability/README.md):
 * every scale and item field to 1e-6, omega to 1e-4, pairwise and listwise, with reverse keys and
 * missing values (WAI-S), complete data (WAI-SR) and a small continuous sample (ORS, n = 25),
 * and per site with --by.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readCsvObjects } from '../helpers/csv.js';

const FIXTURES = { wai_s_missing: 'wai-s', wai_sr_complete: 'wai-sr', ors_small: 'ors' } as const;
const expectedScales = readCsvObjects('fixtures/reliability/expected_scales.csv');
const expectedItems = readCsvObjects('fixtures/reliability/expected_items.csv');

const SCALE_FIELDS = ['n', 'k', 'alpha', 'alpha_std', 'g6', 'average_r', 'median_r', 'sn', 'alpha_se', 'feldt_lo', 'feldt_hi', 'duhachek_lo', 'duhachek_hi', 'omega_n'];
const ITEM_FIELDS: Array<[string, string]> = [
  ['n', 'n'], ['mean', 'mean'], ['sd', 'sd'], ['r_raw', 'r_raw'], ['r_std', 'r_std'], ['r_cor', 'r_cor'], ['r_drop', 'r_drop'],
  ['alpha_if_deleted', 'alpha_if_deleted'], ['alpha_std_if_deleted', 'alpha_std_if_deleted'], ['missing', 'missing_prop'],
];

type Json = { reliability: Array<Record<string, unknown> & { items: Array<Record<string, unknown>> }> };

async function run(fixture: keyof typeof FIXTURES, missing: string, by?: string): Promise<Json> {
  const args = ['reliability', `fixtures/reliability/${fixture}.csv`, '-i', FIXTURES[fixture], '--missing', missing, '--format', 'json'];
  if (by) args.push('--by', by);
  const r = await runCli(args);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Json;
}

const cases = expectedScales.map((e) => [e.fixture!, e.missing!, e.group!, e.scale!] as const);

describe.each(cases)('%s, %s, group "%s", scale %s', (fixture, missing, group, scale) => {
  const want = expectedScales.find((e) => e.fixture === fixture && e.missing === missing && e.group === group && e.scale === scale)!;
  const wantItems = expectedItems.filter((e) => e.fixture === fixture && e.missing === missing && e.group === group && e.scale === scale);
  const result = run(fixture as keyof typeof FIXTURES, missing, group === '' ? undefined : 'site');

  it('scale statistics equal psych (1e-6) and omega equals lavaan (1e-4)', async () => {
    const json = await result;
    const got = json.reliability.find((r) => r.scale === scale && (group === '' || r.site === group))!;
    expect(got, 'scale present').toBeDefined();
    for (const f of SCALE_FIELDS) expect(got[f] as number, f).toBeCloseTo(Number(want[f]), 6);
    expect(got.omega_total as number).toBeCloseTo(Number(want.omega_total), 4);
    expect(Math.abs((got.omega_total as number) - Number(want.omega_total))).toBeLessThan(1e-4);
  });

  it('item statistics equal psych (1e-6)', async () => {
    const json = await result;
    const got = json.reliability.find((r) => r.scale === scale && (group === '' || r.site === group))!;
    expect(got.items.map((i) => i.column)).toEqual(wantItems.map((w) => w.item));
    for (const w of wantItems) {
      const item = got.items.find((i) => i.column === w.item)!;
      for (const [ours, theirs] of ITEM_FIELDS) expect(item[ours] as number, `${w.item} ${ours}`).toBeCloseTo(Number(w[theirs]), 6);
    }
  });
});
