/**
 * AdminTable (src/trajectory/table.ts), the administrations column by column, where the series
 * rules are written: it keeps the administrations as given, and its series equal the plain
 * definition of the rules (test/helpers/series-reference.ts), also with REDCap base-row therapists
 * filled in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Administration, BuiltSeries } from '../../src/trajectory/series.js';
import { AdminTable } from '../../src/trajectory/table.js';
import { referenceSeries } from '../helpers/series-reference.js';

const admin = fc.record({
  client: fc.constantFrom('A', 'B', 'C', 'D10', 'D2'),
  session: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constantFrom(0.5, 2.5)),
  score: fc.option(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.double({ min: -5, max: 50, noNaN: true }))),
  therapist: fc.constantFrom('', '', 'T1', 'T2', 'T3'),
});

function tableOf(rows: ReadonlyArray<{ client: string; session: number; score: number | null; therapist: string }>, from = 0): AdminTable {
  const t = new AdminTable();
  rows.forEach((r, i) => t.push(r.client, r.session, r.score, r.therapist, from + i + 2));
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
        const expected: BuiltSeries = referenceSeries(objects);
        expect(table.buildSeries()).toEqual(expected);
        expect(table.sessionRange()).toEqual(list.length === 0 ? null : [Math.min(...list.map((r) => r.session)), Math.max(...list.map((r) => r.session))]);
      }),
      { numRuns: 1000 },
    );
  });

  it('with base-row therapists filled in (REDCap), still gives the plain definition', () => {
    fc.assert(
      fc.property(fc.array(admin, { maxLength: 40 }), fc.array(fc.tuple(fc.constantFrom('A', 'B', 'C', 'E'), fc.constantFrom('T1', 'T9')), { maxLength: 4 }), (list, base) => {
        const first = tableOf(list);
        const objects = objectsOf(list);
        expect(first.toAdministrations()).toEqual(objects);
        expect(first.buildSeries()).toEqual(referenceSeries(objects));

        const therapists = new Map<string, string>(base);
        for (const a of objects) if (a.therapist === '') a.therapist = therapists.get(a.client) ?? '';
        first.fillTherapists(therapists);
        expect(first.toAdministrations()).toEqual(objects);
        expect(first.buildSeries()).toEqual(referenceSeries(objects));
      }),
      { numRuns: 1000 },
    );
  });
});
