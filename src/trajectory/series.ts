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
