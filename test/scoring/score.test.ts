/** Scale rules with hand-worked values (README "How rapport scores"). */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Instrument } from '../../src/instrument/types.js';
import { reverseKey } from '../../src/scoring/response.js';
import { openTable } from '../../src/io/table.js';
import { buildScoringPlan, readItems, scoreRow, scoreScale } from '../../src/scoring/score.js';

const NaN_ = Number.NaN;

describe('scoreScale', () => {
  it('sums a complete scale', () => {
    expect(scoreScale([4, 3, 5, 4], false, 'sum', 1)).toEqual({ score: 16, state: 'ok' });
  });
  it('prorates a sum with up to maxMissing missing: (4 + 3 + 5) / 3 × 4 = 16', () => {
    expect(scoreScale([4, 3, 5, NaN_], false, 'sum', 1)).toEqual({ score: 16, state: 'prorated' });
  });
  it('prorates 2 + 3 + 5 over 3 answered of 4: 10 / 3 × 4 = 13.333…', () => {
    expect(scoreScale([2, NaN_, 3, 5], false, 'sum', 1).score).toBeCloseTo(40 / 3, 12);
  });
  it('gives no score with more missing than maxMissing', () => {
    expect(scoreScale([4, NaN_, NaN_, 4], false, 'sum', 1)).toEqual({ score: null, state: 'incomplete' });
    expect(scoreScale([4, NaN_], false, 'sum', 0)).toEqual({ score: null, state: 'incomplete' });
  });
  it('gives no score when nothing is answered, whatever maxMissing says', () => {
    expect(scoreScale([NaN_, NaN_], false, 'mean', 5)).toEqual({ score: null, state: 'incomplete' });
  });
  it('gives no score when an item is invalid', () => {
    expect(scoreScale([4, 4, 4, 4], true, 'sum', 1)).toEqual({ score: null, state: 'invalid' });
  });
  it('averages the answered items for a mean scale: (6 + 5 + 4 + 5) / 4 = 5', () => {
    expect(scoreScale([6, NaN_, 5, 4, 5], false, 'mean', 1)).toEqual({ score: 5, state: 'prorated' });
  });
});

const toy: Instrument = {
  id: 'toy',
  name: 'Toy',
  responseScale: { min: 1, max: 5 },
  higherIsBetter: true,
  items: [
    { id: 'a', column: 'a' },
    { id: 'b', column: 'b', reverse: true },
    { id: 'c', column: 'c' },
    { id: 'd', column: 'd' },
  ],
  scales: [
    { id: 'ab', name: 'AB', items: ['a', 'b'], method: 'sum' },
    { id: 'all', name: 'All', items: ['a', 'b', 'c', 'd'], method: 'sum', maxMissing: 1 },
  ],
};
const plan = buildScoringPlan(toy, [0, 1, 2, 3], ['a', 'b', 'c', 'd']);

describe('scoreRow', () => {
  it('reverse-keys b (6 − x) before summing: a=5, b=1 -> 5 + 5 = 10', () => {
    expect(scoreRow(plan, ['5', '1', '2', '3'])).toEqual({ scales: [10, 15], answered: 4, status: 'ok', problems: [] });
  });
  it('status: incomplete beats prorated', () => {
    const r = scoreRow(plan, ['', '1', '2', '3']);
    expect(r.scales[0]).toBeNull();
    expect(r.scales[1]).toBeCloseTo(((5 + 2 + 3) / 3) * 4, 12);
    expect(r.status).toBe('incomplete');
  });
  it('status: invalid beats everything and names the problem', () => {
    const r = scoreRow(plan, ['9', '', '', '']);
    expect(r.status).toBe('invalid');
    expect(r.problems).toEqual([{ itemId: 'a', column: 'a', value: '9', code: 'RESPONSE_OUT_OF_RANGE', message: expect.any(String) }]);
  });

  it('property: a prorated or complete sum stays within [k·min, k·max]', () => {
    const cell = fc.oneof(fc.constant(''), fc.integer({ min: 1, max: 5 }).map(String));
    fc.assert(
      fc.property(fc.array(cell, { minLength: 4, maxLength: 4 }), (cells) => {
        const r = scoreRow(plan, cells);
        const all = r.scales[1];
        if (all !== null && all !== undefined) {
          expect(all).toBeGreaterThanOrEqual(4 - 1e-9);
          expect(all).toBeLessThanOrEqual(20 + 1e-9);
        }
        expect(r.answered).toBe(cells.filter((c) => c !== '').length);
      }),
    );
  });

  it('property: reverse keying twice is the identity', () => {
    fc.assert(
      fc.property(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 1, max: 50 }), fc.double({ min: 0, max: 1, noNaN: true }), (min, width, t) => {
        const s = { min, max: min + width };
        const x = min + t * width;
        expect(reverseKey(reverseKey(x, s), s)).toBeCloseTo(x, 9);
      }),
    );
  });
});

describe('readItems on the byte-level reader', () => {
  it('reads any row as the text path does (one-digit shortcut included)', async () => {
    const cells = fc.constantFrom('', '1', '2', '3', '4', '5', '0', '6', '9', ' 3', '"4"', '""', '4.0', '2.5', 'x', '-1', '10', '"5 "');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(cells, { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 20 }), async (rows) => {
        const text = `a,b,c,d\n${rows.map((r) => r.join(',')).join('\n')}\n`;
        const table = await openTable('-', Readable.from([Buffer.from(text)]), { delimiter: ',' });
        expect(table.fast).toBe(true);
        const got: unknown[] = [];
        for await (const b of table.batches) {
          for (let j = 0; j < b.length; j++) {
            const record = b.at(j);
            const fastItems = readItems(plan, record);
            const textItems = readItems(plan, [...record.fields]);
            got.push(fastItems);
            expect({ ...fastItems, values: [...fastItems.values] }).toEqual({ ...textItems, values: [...textItems.values] });
          }
        }
        expect(got).toHaveLength(rows.length);
      }),
      { numRuns: 300 },
    );
  });
});
