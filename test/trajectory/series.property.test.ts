/**
 * buildSeries (src/trajectory/series.ts) takes shortcuts for the usual file (sessions in order, one
 * therapist per client). Against the plain definition, on random administrations in any order,
 * with duplicated sessions, missing scores and several therapists, it must give the same series.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Administration, buildSeries, type BuiltSeries } from '../../src/trajectory/series.js';

/** The definition: group by client, then by session; duplicates out; therapist = most rows, first on a tie. */
function reference(rows: readonly Administration[]): BuiltSeries {
  const out: BuiltSeries = { series: [], duplicates: [], multiTherapist: [] };
  const clients = [...new Set(rows.map((r) => r.client))];
  for (const client of clients) {
    const list = rows.filter((r) => r.client === client);
    const sessions = [...new Set(list.map((r) => r.session))];
    const observations: Array<{ session: number; score: number }> = [];
    let first: Administration | null = null;
    for (const session of sessions) {
      const admins = list.filter((r) => r.session === session);
      if (admins.length > 1) out.duplicates.push({ client, session, lines: admins.map((a) => a.line) });
      else if (admins[0]!.score !== null) {
        observations.push({ session, score: admins[0]!.score });
        if (first === null || session < first.session) first = admins[0]!;
      }
    }
    observations.sort((a, b) => a.session - b.session);
    const therapists = [...new Set(list.map((r) => r.therapist).filter((t) => t !== ''))];
    const count = (t: string) => list.filter((r) => r.therapist === t).length;
    const therapist = therapists.reduce((best, t) => (best === '' || count(t) > count(best) ? t : best), '');
    if (therapists.length > 1) out.multiTherapist.push(client);
    out.series.push({ client, therapist, observations, administrations: list.length, first });
  }
  return out;
}

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
        expect(buildSeries(rows)).toEqual(reference(rows));
      }),
      { numRuns: 1000 },
    );
  });
});
