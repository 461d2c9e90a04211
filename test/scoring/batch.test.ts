/**
 * The one scorer (src/scoring/batch.ts): the scale rules with hand-worked values (README "How
 * rapport scores"), rows scored as a batch, and the line kernel's batch reading (DigitRows) against
 * the same rows read cell by cell.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Instrument } from '../../src/instrument/types.js';
import { FastRecord } from '../../src/input/csv-batch.js';
import { ArrayBatch, ArrayRecord, type RecordBatch } from '../../src/input/records.js';
import { openTable } from '../../src/input/table.js';
import { BatchScorer, readItems } from '../../src/scoring/batch.js';
import { buildScoringPlan, type ScoringPlan } from '../../src/scoring/plan.js';
import { PRORATED, reverseKey, scaleScore, scaleState, STATUSES } from '../../src/scoring/rules.js';

const NaN_ = Number.NaN;

/** One scale by the rules: its score (null for none) and state. */
function scoreScale(values: number[], anyInvalid: boolean, method: 'sum' | 'mean', maxMissing: number) {
  const answered = values.filter((v) => !Number.isNaN(v));
  const state = scaleState(answered.length, values.length, anyInvalid, maxMissing);
  return { score: state <= PRORATED ? scaleScore(answered.reduce((a, b) => a + b, 0), answered.length, values.length, method) : null, state: STATUSES[state] };
}

describe('the scale rules', () => {
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


/** Scores rows of cell texts as one batch: each row's scales (null for none), answered count, status and problems. */
function scoreRows(plan: ScoringPlan, rows: string[][]) {
  const out = new BatchScorer(plan, { values: true, scales: true }).score(new ArrayBatch(rows.map((r, i) => new ArrayRecord(r, i + 2))));
  const ns = plan.scales.length;
  return rows.map((_, j) => ({
    scales: Array.from({ length: ns }, (_, k) => (Number.isNaN(out.scales[j * ns + k]!) ? null : out.scales[j * ns + k]!)),
    answered: out.answered[j],
    status: STATUSES[out.status[j]!],
    problems: [...out.problems[j]!],
  }));
}
const scoreRow = (p: ScoringPlan, row: string[]) => scoreRows(p, [row])[0]!;

describe('scoring a row', () => {
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
        const got: unknown[] = [];
        for await (const b of table.batches) {
          for (let j = 0; j < b.length; j++) {
            const record = b.at(j);
            const fastItems = readItems(plan, record);
            const textItems = readItems(plan, new ArrayRecord([...record.fields], record.line));
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

describe('the line kernel (DigitRows) reading a batch at once = the same rows read cell by cell', () => {
  // Random questionnaires (0–9 answers, reversed items, sum and mean scales, any maxMissing) placed
  // among other columns, and rows of digits, empties, quoted digits, text and numbers of other
  // shapes: every record the kernel reads must read and score as readItems + scoreItems do, and
  // every record it leaves must be one FastRecord.digits leaves too.
  const shape = fc
    .record({
      min: fc.integer({ min: 0, max: 4 }),
      span: fc.integer({ min: 1, max: 5 }),
      items: fc.integer({ min: 1, max: 9 }),
      extra: fc.integer({ min: 0, max: 3 }),
      seed: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 40, maxLength: 40 }),
    })
    .map(({ min, span, items, extra, seed }) => {
      let at = 0;
      const next = (n: number) => seed[at++ % seed.length]! % n;
      const width = items + extra;
      // Item i in column order[i]: a shuffle of the columns.
      const order = Array.from({ length: width }, (_, c) => c);
      for (let c = width - 1; c > 0; c--) {
        const d = next(c + 1);
        [order[c], order[d]] = [order[d]!, order[c]!];
      }
      const ids = Array.from({ length: items }, (_, i) => `i${i}`);
      const scales = Array.from({ length: 1 + next(3) }, (_, s) => {
        const members = ids.filter((_, i) => (i + s) % (1 + next(3)) === 0 || next(2) === 0);
        const list = members.length > 0 ? members : [ids[0]!];
        return { id: `s${s}`, name: `S${s}`, items: list, method: next(2) === 0 ? ('sum' as const) : ('mean' as const), maxMissing: next(list.length + 1) };
      });
      const inst: Instrument = {
        id: 'rand',
        name: 'Random',
        responseScale: { min, max: min + span },
        higherIsBetter: true,
        items: ids.map((id) => ({ id, column: id, ...(next(2) === 0 ? { reverse: true } : {}) })),
        scales,
      };
      const header = Array.from({ length: width }, (_, c) => `c${c}`);
      return { inst, columns: order.slice(0, items), header };
    });
  // A number k stands for the answer min + k (a digit, out of range when k > span); strings are as written.
  const cell = fc.oneof(
    { arbitrary: fc.integer({ min: 0, max: 5 }), weight: 24 },
    { arbitrary: fc.constantFrom('', '0', '9', '"3"', '""'), weight: 6 },
    { arbitrary: fc.constantFrom(' 4', '12', '2.0', 'x', 'é', '-1', '"a,b"', '"x""y"'), weight: 1 },
  );


  /** A batch's scores as plain data. */
  const collect = (plan: ScoringPlan, b: RecordBatch) => {
    const ps = new BatchScorer(plan, { values: true, scales: true }).score(b);
    const n = plan.columns.length;
    const ns = plan.scales.length;
    return Array.from({ length: b.length }, (_, j) => ({
      status: ps.status[j],
      answered: ps.answered[j],
      scales: [...ps.scales.subarray(j * ns, (j + 1) * ns)],
      values: [...ps.values.subarray(j * n, (j + 1) * n)],
      problems: [...ps.problems[j]!],
    }));
  };

  it('gives every record the values, scores, status and problems the cell-by-cell path gives', async () => {
    let kernelBatches = 0;
    await fc.assert(
      fc.asyncProperty(shape, fc.array(fc.array(cell, { minLength: 12, maxLength: 12 }), { minLength: 3, maxLength: 40 }), fc.constantFrom('\n', '\r\n'), async ({ inst, columns, header }, cells, eol) => {
        const plan = buildScoringPlan(inst, columns, header);
        const show = (c: number | string) => (typeof c === 'number' ? String(inst.responseScale.min + c) : c);
        const text = [header.join(','), ...cells.map((r) => r.slice(0, header.length).map(show).join(','))].join(eol) + eol;
        const table = await openTable('-', Readable.from([Buffer.from(text)]), { delimiter: ',' });
        for await (const b of table.batches) {
          if (b.length > 0 && b.at(0) instanceof FastRecord) kernelBatches++;
          const fast = collect(plan, b);
          const plain = collect(plan, new ArrayBatch(Array.from({ length: b.length }, (_, j) => new ArrayRecord([...b.at(j).fields], b.at(j).line))));
          expect(fast).toEqual(plain);
        }
      }),
      { numRuns: 300 },
    );
    expect(kernelBatches).toBeGreaterThan(100);
  }, 60_000);
});
