/**
 * Numbers in CSV as R's write.csv writes them: 15 significant digits, fixed or scientific
 * notation as R chooses (fixtures/numbers/r_format.csv, made by fixtures/numbers/r_format.R with
 * R 4.2.2), so 30.2 is never 30.200000000000003; --digits rounds further; JSON keeps every bit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatNumber, rNumber, significant15 } from '../../src/report/format.js';
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

describe('significant15: the 15 significant digits C\'s printf("%.15e") gives, ties to even', () => {
  /** The reference: x's exact decimal value (BigInt), rounded to 15 digits half to even. */
  function reference(x: number): { digits: string; kpower: number } {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, x);
    const biased = (view.getUint32(0) >>> 20) & 0x7ff;
    let m = (BigInt(view.getUint32(0) & 0xfffff) << 32n) | BigInt(view.getUint32(4));
    if (biased > 0) m |= 1n << 52n;
    const e = biased === 0 ? -1074 : biased - 1075;
    // x = num / den exactly.
    const num = e >= 0 ? m << BigInt(e) : m;
    const den = e >= 0 ? 1n : 1n << BigInt(-e);
    let k = num.toString().length - den.toString().length;
    const scale = (p: number) => (p >= 0 ? [num, den * 10n ** BigInt(p)] : [num * 10n ** BigInt(-p), den]) as [bigint, bigint];
    // 10^k <= x < 10^(k+1)
    while (true) {
      const [a, b] = scale(k);
      if (a < b) k--;
      else if (a >= 10n * b) k++;
      else break;
    }
    const [a, b] = scale(k - 14);
    let q = a / b;
    const r = a - q * b;
    if (2n * r > b || (2n * r === b && q % 2n === 1n)) q++;
    if (q.toString().length > 15) return { digits: q.toString().slice(0, 15), kpower: k + 1 };
    return { digits: q.toString(), kpower: k };
  }
  it('agrees with exact arithmetic on random doubles of every size, on 16-digit ties and near-ties', () => {
    const view = new DataView(new ArrayBuffer(8));
    let seed = 12345;
    const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const xs: number[] = [0.5, 1.5, 2.5e-7, 9.999999999999995, 0.30000000000000004, 1.0000000000000005, 123456789012345.5, 1e21 / 3];
    for (let i = 0; i < 20_000; i++) {
      view.setUint32(0, Math.floor(next() * 0x7fe00000) >>> 0);
      view.setUint32(4, Math.floor(next() * 2 ** 32) >>> 0);
      xs.push(Math.abs(view.getFloat64(0)));
      xs.push(Math.round(next() * 1e6) / 2 ** Math.floor(next() * 40)); // short binary fractions: exact ties
      xs.push(next() * 100);
    }
    xs.push(4.9406564584124654e-324, 2.2250738585072009e-308, 1.2345e-320);
    const same = (a: { digits: string; kpower: number }, b: { digits: string; kpower: number }) => a.digits.padEnd(15, '0') === b.digits && a.kpower === b.kpower;
    const wrong = xs.filter((x) => x > 0 && Number.isFinite(x)).filter((x) => !same(significant15(x), reference(x)));
    expect(wrong.slice(0, 5).map((x) => [x, significant15(x), reference(x)])).toEqual([]);
  });
});
