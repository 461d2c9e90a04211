/**
 * rapport's CSV writer (src/report/csv.ts) against csv-stringify, which it replaced for speed: the
 * same text for any cells, with and without formula escaping.
 */
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeFormula, toCsv } from '../../src/report/csv.js';

// Cells rich in what CSV must quote or escape: quotes, commas, line breaks, formula starts.
const cell = fc.oneof(
  fc.string(),
  fc.string({ unit: fc.constantFrom('"', ',', '\n', '\r', '=', '+', '-', '@', '\t', ' ', 'a', '1', '.', 'é', '\uFF1D') }),
  fc.constantFrom('', '-1.5', '+3', '1e3', '=SUM(A1)', '@x', '"quoted"', 'a,b', 'line\nbreak', 'cr\r'),
);

describe('toCsv', () => {
  it('writes what csv-stringify writes', () => {
    fc.assert(
      fc.property(fc.array(fc.array(cell, { maxLength: 6 }), { maxLength: 6 }), fc.boolean(), (rows, escape) => {
        const expected = stringify(rows, escape ? { cast: { string: escapeFormula } } : {});
        expect(toCsv(rows, escape)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('quotes, doubles quotes and escapes formulas', () => {
    expect(toCsv([['a,b', 'say "hi"', '=1+1', '-2', ''], ['x']])).toBe('"a,b","say ""hi""",\'=1+1,-2,\nx\n');
  });
});
