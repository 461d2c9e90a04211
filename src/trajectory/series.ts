/**
 * A client's series of scored administrations and its summary (first/last score, change, mean,
 * OLS slope). Pure.
 */
import { linearRegression, mean } from 'simple-statistics';

export interface Administration {
  client: string;
  session: number;
  /** The scale score; null when the administration has no valid score. */
  score: number | null;
  therapist: string;
  /** File line, for problem reports. */
  line: number;
  /** Position in the caller's list of administrations (the job keeps each one's items there). */
  index?: number;
}

export interface Observation {
  session: number;
  score: number;
}

export interface ClientSeries {
  client: string;
  therapist: string;
  /** Valid scores in session order (duplicated sessions removed). */
  observations: Observation[];
  /** Administrations of this client, including those without a score. */
  administrations: number;
  /** The administration of the first observation (the first valid score), if any. */
  first: Administration | null;
}

export interface DuplicateSession {
  client: string;
  session: number;
  lines: number[];
}

/**
 * Groups administrations by client. Sessions given more than once for a client are reported and
 * all their rows are left out of the series (never one chosen silently). A client's therapist is the
 * one on most of their rows (first seen on a tie); `multiTherapist` lists clients with more than one.
 */
export interface BuiltSeries {
  series: ClientSeries[];
  duplicates: DuplicateSession[];
  multiTherapist: string[];
}

/** Items grouped by key, groups in the order their keys first occur. */
function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** The therapist on most of a client's rows (the first seen on a tie; '' if none), and whether there are several. */
function mainTherapist(list: readonly Administration[]): { therapist: string; several: boolean } {
  let only = '';
  let one = true;
  for (const r of list) {
    if (r.therapist === '') continue;
    if (only === '') only = r.therapist;
    else if (r.therapist !== only) one = false;
  }
  if (one) return { therapist: only, several: false };
  const counts = new Map<string, number>();
  for (const r of list) if (r.therapist !== '') counts.set(r.therapist, (counts.get(r.therapist) ?? 0) + 1);
  let therapist = '';
  let best = 0;
  for (const [t, c] of counts) if (c > best) [therapist, best] = [t, c];
  return { therapist, several: true };
}

export function buildSeries(rows: readonly Administration[]): BuiltSeries {
  const byClient = groupBy(rows, (r) => r.client);
  const series: ClientSeries[] = [];
  const duplicates: DuplicateSession[] = [];
  const multiTherapist: string[] = [];
  for (const [client, list] of byClient) {
    // Sessions in increasing order (the usual file) have no duplicates and need no grouping.
    let increasing = true;
    for (let i = 1; i < list.length && increasing; i++) increasing = list[i]!.session > list[i - 1]!.session;
    const bySession = increasing ? list.map((r) => [r.session, [r]] as const) : groupBy(list, (r) => r.session);
    const observations: Observation[] = [];
    let first: Administration | null = null;
    for (const [session, admins] of bySession) {
      if (admins.length > 1) duplicates.push({ client, session, lines: admins.map((a) => a.line) });
      else if (admins[0]!.score !== null) {
        observations.push({ session, score: admins[0]!.score });
        if (first === null || session < first.session) first = admins[0]!;
      }
    }
    if (!increasing) observations.sort((a, b) => a.session - b.session);
    const { therapist, several } = mainTherapist(list);
    if (several) multiTherapist.push(client);
    series.push({ client, therapist, observations, administrations: list.length, first });
  }
  return { series, duplicates, multiTherapist };
}

export interface ClientSummary {
  nSessions: number;
  firstSession: number | null;
  lastSession: number | null;
  firstScore: number | null;
  lastScore: number | null;
  /** last − first; needs 2 scores. */
  change: number | null;
  mean: number | null;
  /** OLS slope of score on session number; needs 3 scores. */
  slope: number | null;
}

export function summariseSeries(obs: readonly Observation[]): ClientSummary {
  const n = obs.length;
  if (n === 0) return { nSessions: 0, firstSession: null, lastSession: null, firstScore: null, lastScore: null, change: null, mean: null, slope: null };
  const first = obs[0]!;
  const last = obs[n - 1]!;
  return {
    nSessions: n,
    firstSession: first.session,
    lastSession: last.session,
    firstScore: first.score,
    lastScore: last.score,
    change: n >= 2 ? last.score - first.score : null,
    mean: mean(obs.map((o) => o.score)),
    slope: n >= 3 ? linearRegression(obs.map((o) => [o.session, o.score])).m : null,
  };
}
