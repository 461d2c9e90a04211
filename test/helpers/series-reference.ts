/**
 * The series rules in their plain definition (docs/methods.md, Trajectories), written without any of the
 * shortcuts of src/trajectory: the independent reference the series code is tested against.
 */
import type { Administration, BuiltSeries, Observation } from '../../src/trajectory/series.js';
import { observationsOf } from '../../src/trajectory/series.js';

export interface ReferenceSeries {
  series: Array<{ client: string; therapist: string; observations: Observation[]; administrations: number; first: Administration | null }>;
  duplicates: BuiltSeries['duplicates'];
  multiTherapist: string[];
}

/** The definition: group by client, then by session; duplicates out; therapist = most rows, first on a tie. */
export function referenceSeries(rows: readonly Administration[]): ReferenceSeries {
  const out: ReferenceSeries = { series: [], duplicates: [], multiTherapist: [] };
  const clients = [...new Set(rows.map((r) => r.client))];
  for (const client of clients) {
    const list = rows.filter((r) => r.client === client);
    const sessions = [...new Set(list.map((r) => r.session))];
    const observations: Observation[] = [];
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

/** Columnar series as the reference writes them; `first` looked up in the administrations given. */
export function seriesObjects(built: BuiltSeries, admins: readonly Administration[]): ReferenceSeries {
  const s = built.series;
  return {
    series: s.client.map((client, i) => ({
      client,
      therapist: s.therapist[i]!,
      observations: observationsOf(s, i),
      administrations: s.administrations[i]!,
      first: s.first[i]! >= 0 ? admins[s.first[i]!]! : null,
    })),
    duplicates: built.duplicates,
    multiTherapist: built.multiTherapist,
  };
}
