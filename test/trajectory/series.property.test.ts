/**
 * buildSeries (src/trajectory/series.ts) takes shortcuts for the usual file (sessions in order, one
 * therapist per client). Against the plain definition, on random administrations in any order,
 * with duplicated sessions, missing scores and several therapists, it must give the same series.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Administration } from '../../src/trajectory/series.js';
import { buildSeries } from '../../src/trajectory/table.js';
import { referenceSeries } from '../helpers/series-reference.js';

describe('buildSeries', () => {
  it('equals the plain definition, in order or not', () => {
    const admin = fc.record({
      client: fc.constantFrom('A', 'B', 'C'),
      session: fc.integer({ min: 1, max: 8 }),
      score: fc.option(fc.integer({ min: 0, max: 40 })),
      therapist: fc.constantFrom('', 'T1', 'T2'),
    });
    fc.assert(
      fc.property(fc.array(admin, { maxLength: 30 }), fc.boolean(), (raw, sorted) => {
        const list = sorted ? [...raw].sort((a, b) => a.session - b.session) : raw;
        const rows: Administration[] = list.map((r, i) => ({ ...r, line: i + 2, index: i }));
        expect(buildSeries(rows)).toEqual(referenceSeries(rows));
      }),
      { numRuns: 1000 },
    );
  });
});
