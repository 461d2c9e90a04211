/**
 * Rows written by the WebAssembly kernel (RowAssembler, `assemble` in src/kernels/split.wat)
 * against the same rows written in JavaScript: for random questionnaires and rows (one-digit
 * answers, empties, out-of-range and text answers, quoted cells, cells a spreadsheet would run as
 * formulas, LF or CRLF), with and without --digits and formula escaping, score's bytes, tallies and
 * problem rows must be the same.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Instrument } from '../../src/instrument/types.js';
import { openTable } from '../../src/input/table.js';
import { ScoreRows } from '../../src/report/score-rows.js';
import { BatchScorer } from '../../src/scoring/batch.js';
import { resolveItemColumns } from '../../src/scoring/columns.js';
import { buildScoringPlan } from '../../src/scoring/plan.js';

const setup = fc.record({
  min: fc.integer({ min: 0, max: 3 }),
  span: fc.integer({ min: 1, max: 6 }),
  items: fc.integer({ min: 1, max: 8 }),
  scales: fc.array(fc.record({ pick: fc.integer({ min: 1, max: 255 }), mean: fc.boolean(), maxMissing: fc.integer({ min: 0, max: 4 }) }), { minLength: 1, maxLength: 4 }),
  reverse: fc.integer({ min: 0, max: 255 }),
  digits: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
  escape: fc.boolean(),
  eol: fc.constantFrom('\n', '\r\n'),
});

// A number k stands for the answer min + k (out of range when k > span); strings are as written.
const answer = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 6 }), weight: 30 },
  { arbitrary: fc.constantFrom('', '', '"2"', '""'), weight: 6 },
  { arbitrary: fc.constantFrom('x', ' 3', '12', '2.5', '-1', '=1+1', '"a,b"'), weight: 1 },
);
const id = fc.oneof({ arbitrary: fc.constantFrom('C1', 'C22', 'é3'), weight: 20 }, { arbitrary: fc.constantFrom('=cmd()', '-4', '+x', '@a', '"q,1"', ''), weight: 1 });

describe('RowAssembler (score rows written by the kernel) = the JavaScript writer', () => {
  it('gives the same bytes, tallies and problems for random questionnaires and rows', async () => {
    let assembled = 0;
    await fc.assert(
      fc.asyncProperty(setup, fc.array(fc.tuple(id, fc.array(answer, { minLength: 8, maxLength: 8 })), { minLength: 3, maxLength: 60 }), async (s, rows) => {
        const ids = Array.from({ length: s.items }, (_, i) => `q${i + 1}`);
        const inst: Instrument = {
          id: 'rand',
          name: 'Random',
          responseScale: { min: s.min, max: s.min + s.span },
          higherIsBetter: true,
          items: ids.map((q, i) => ({ id: q, column: q, ...((s.reverse >> i) & 1 ? { reverse: true } : {}) })),
          scales: s.scales.map((sc, k) => {
            const items = ids.filter((_, i) => (sc.pick >> i) & 1);
            return { id: `s${k}`, name: `S${k}`, items: items.length > 0 ? items : [ids[0]!], method: sc.mean ? 'mean' : 'sum', maxMissing: sc.maxMissing };
          }),
        };
        const header = ['client', ...ids, 'note'];
        const show = (c: number | string) => (typeof c === 'number' ? String(s.min + c) : c);
        const lines = rows.map(([client, cells]) => [client, ...cells.slice(0, s.items).map(show), 'n'].join(','));
        const text = [header.join(','), ...lines].join(s.eol) + s.eol;
        const table = await openTable('-', Readable.from([Buffer.from(text)]), { delimiter: ',' });
        const plan = buildScoringPlan(inst, resolveItemColumns(table.header, inst), table.header);
        const opts = { json: false, copyRaw: true, escape: s.escape, digits: s.digits };
        const kernel = new ScoreRows(table.header, [inst], opts);
        const plain = new ScoreRows(table.header, [inst], { ...opts, assemble: false });
        const scorer = new BatchScorer(plan, { values: false, scales: true });
        for await (const b of table.batches) {
          const scored = { records: b, scores: [scorer.score(b)] };
          const before = kernel.buffer.size;
          kernel.add(scored);
          plain.add(scored);
          if (b.length > 0 && kernel.buffer.size > before) assembled += kernel.assembledLast;
        }
        expect(kernel.buffer.take().toString('utf8')).toBe(plain.buffer.take().toString('utf8'));
        expect(kernel.tallies).toEqual(plain.tallies);
        expect([kernel.rows, kernel.problems]).toEqual([plain.rows, plain.problems]);
        expect(kernel.takeProblems()).toEqual(plain.takeProblems());
        expect(plain.assembledLast).toBe(0);
      }),
      { numRuns: 400 },
    );
    expect(assembled).toBeGreaterThan(500);
  }, 60_000);
});
