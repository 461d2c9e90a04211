/**
 * AdminTable (src/trajectory/table.ts), the administrations column by column, where the series
 * rules are written (buildSeries on objects goes through it; test/trajectory/series.property.test.ts
 * checks those rules against their plain definition): it keeps the administrations as given; a
 * table filled in two parts and appended equals one filled in one go; base-row therapists fill in
 * as the object loop filled them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Administration, buildSeries } from '../../src/trajectory/series.js';
import { AdminTable } from '../../src/trajectory/table.js';

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

describe('AdminTable', () => {
  it('keeps the administrations as given; buildSeries on objects hands back the caller’s own objects', () => {
    fc.assert(
      fc.property(fc.array(admin, { maxLength: 40 }), fc.boolean(), (raw, sorted) => {
        const list = sorted ? [...raw].sort((a, b) => a.session - b.session) : raw;
        const objects: Administration[] = list.map((r, i) => ({ ...r, line: i + 2, index: i }));
        const table = tableOf(list);
        expect(table.toAdministrations()).toEqual(objects);
        const built = buildSeries(objects);
        expect(table.buildSeries()).toEqual(built);
        for (const s of built.series) if (s.first) expect(objects).toContain(s.first);
        expect(table.sessionRange()).toEqual(list.length === 0 ? null : [Math.min(...list.map((r) => r.session)), Math.max(...list.map((r) => r.session))]);
      }),
      { numRuns: 1000 },
    );
  });

  it('in two parts, appended, equals one table; base-row therapists fill in as on objects', () => {
    fc.assert(
      fc.property(fc.array(admin, { maxLength: 40 }), fc.nat(40), fc.array(fc.tuple(fc.constantFrom('A', 'B', 'C', 'E'), fc.constantFrom('T1', 'T9')), { maxLength: 4 }), (list, cut, base) => {
        const at = Math.min(cut, list.length);
        const whole = tableOf(list);
        const first = tableOf(list.slice(0, at));
        first.append(tableOf(list.slice(at), at).columns());
        expect(first.toAdministrations()).toEqual(whole.toAdministrations());
        expect(first.buildSeries()).toEqual(whole.buildSeries());

        const therapists = new Map<string, string>(base);
        const objects = whole.toAdministrations();
        for (const a of objects) if (a.therapist === '') a.therapist = therapists.get(a.client) ?? '';
        first.fillTherapists(therapists);
        expect(first.toAdministrations()).toEqual(objects);
        expect(first.buildSeries()).toEqual(buildSeries(objects));
      }),
      { numRuns: 1000 },
    );
  });
});
