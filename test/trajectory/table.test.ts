/**
 * AdminTable (src/trajectory/table.ts), the administrations column by column, where the series
 * rules are written: it keeps the administrations as given, and its series equal the plain
 * definition of the rules (test/helpers/series-reference.ts), in any order, with duplicated
 * sessions, missing scores and several therapists, also with REDCap base-row therapists filled in;
 * each measure's series from its own score column.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Administration } from '../../src/trajectory/series.js';
import { AdminTable } from '../../src/trajectory/table.js';
import { referenceSeries, seriesObjects } from '../helpers/series-reference.js';

const admin = fc.record({
  client: fc.constantFrom('A', 'B', 'C', 'D10', 'D2'),
  session: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constantFrom(0.5, 2.5)),
  score: fc.option(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.double({ min: -5, max: 50, noNaN: true }))),
  therapist: fc.constantFrom('', '', 'T1', 'T2', 'T3'),
});

function tableOf(rows: ReadonlyArray<{ client: string; session: number; score: number | null; therapist: string }>, from = 0): AdminTable {
  const t = new AdminTable();
  rows.forEach((r, i) => t.push(r.client, r.session, r.therapist, from + i + 2, r.score ?? Number.NaN));
  return t;
}

const objectsOf = (rows: ReadonlyArray<{ client: string; session: number; score: number | null; therapist: string }>): Administration[] =>
  rows.map((r, i) => ({ ...r, line: i + 2, index: i }));

describe('AdminTable', () => {
  it('keeps the administrations as given, and builds the series the plain definition gives', () => {
    fc.assert(
      fc.property(fc.array(admin, { maxLength: 40 }), fc.boolean(), (raw, sorted) => {
        const list = sorted ? [...raw].sort((a, b) => a.session - b.session) : raw;
        const objects = objectsOf(list);
        const table = tableOf(list);
        expect(table.toAdministrations()).toEqual(objects);
        expect(seriesObjects(table.buildSeries(), objects)).toEqual(referenceSeries(objects));
        expect(table.sessionRange()).toEqual(list.length === 0 ? null : [Math.min(...list.map((r) => r.session)), Math.max(...list.map((r) => r.session))]);
      }),
      { numRuns: 1000 },
    );
  });

  it('builds each measure\'s series from its own scores, over the same administrations', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(admin, fc.option(fc.integer({ min: 0, max: 9 }))), { maxLength: 40 }), (list) => {
        const t = new AdminTable(2);
        list.forEach(([r, second], i) => {
          const at = t.push(r.client, r.session, r.therapist, i + 2, r.score ?? Number.NaN);
          if (second !== null) t.scores[1]![at] = second;
        });
        const objects = objectsOf(list.map(([r]) => r));
        const seconds = objectsOf(list.map(([r, second]) => ({ ...r, score: second })));
        expect(seriesObjects(t.buildSeries(0), objects)).toEqual(referenceSeries(objects));
        expect(seriesObjects(t.buildSeries(1), seconds)).toEqual(referenceSeries(seconds));
      }),
      { numRuns: 500 },
    );
  });

  it('with base-row therapists filled in (REDCap), still gives the plain definition', () => {
    fc.assert(
      fc.property(fc.array(admin, { maxLength: 40 }), fc.array(fc.tuple(fc.constantFrom('A', 'B', 'C', 'E'), fc.constantFrom('T1', 'T9')), { maxLength: 4 }), (list, base) => {
        const first = tableOf(list);
        const objects = objectsOf(list);
        expect(first.toAdministrations()).toEqual(objects);
        expect(seriesObjects(first.buildSeries(), objects)).toEqual(referenceSeries(objects));

        const therapists = new Map<string, string>(base);
        for (const a of objects) if (a.therapist === '') a.therapist = therapists.get(a.client) ?? '';
        first.fillTherapists(therapists);
        expect(first.toAdministrations()).toEqual(objects);
        expect(seriesObjects(first.buildSeries(), objects)).toEqual(referenceSeries(objects));
      }),
      { numRuns: 1000 },
    );
  });
});
