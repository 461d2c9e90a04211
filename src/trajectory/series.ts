/**
 * Clients' series of scored administrations, held column by column (SeriesSet), and a series'
 * summary (first/last score, change, mean, OLS slope). Pure.
 */
import { mean } from 'simple-statistics';

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

/** One series' valid scores in session order: sessions and scores side by side (views, not copies). */
export interface Points {
  session: ArrayLike<number>;
  score: ArrayLike<number>;
}

/**
 * Every client's series, column by column. Series i has the observations [start[i], start[i + 1])
 * of `session` and `score` (valid scores in session order, duplicated sessions removed), its
 * client's `administrations` (including those without a score) and `first`, the administration
 * (its index in the table) of the first valid score, or -1.
 */
export interface SeriesSet {
  client: string[];
  therapist: string[];
  administrations: Int32Array;
  first: Int32Array;
  start: Int32Array;
  session: Float64Array;
  score: Float64Array;
}

export interface DuplicateSession {
  client: string;
  session: number;
  lines: number[];
}

/**
 * Administrations grouped by client. Sessions given more than once for a client are reported and
 * all their rows are left out of the series (never one chosen silently). A client's therapist is the
 * one on most of their rows (first seen on a tie); `multiTherapist` lists clients with more than one.
 */
export interface BuiltSeries {
  series: SeriesSet;
  duplicates: DuplicateSession[];
  multiTherapist: string[];
}

/** Series i's points (views of the set's columns). */
export function pointsOf(set: SeriesSet, i: number): Points {
  const from = set.start[i]!;
  const to = set.start[i + 1]!;
  return { session: set.session.subarray(from, to), score: set.score.subarray(from, to) };
}

/** Series i's observations as objects (for the few that are drawn). */
export function observationsOf(set: SeriesSet, i: number): Observation[] {
  const out: Observation[] = [];
  for (let k = set.start[i]!; k < set.start[i + 1]!; k++) out.push({ session: set.session[k]!, score: set.score[k]! });
  return out;
}

/** The series in the order `order` gives (order[j] = the series to put at j). */
export function reorderSeries(set: SeriesSet, order: ArrayLike<number>): SeriesSet {
  const n = order.length;
  const start = new Int32Array(n + 1);
  const session = new Float64Array(set.session.length);
  const score = new Float64Array(set.score.length);
  const administrations = new Int32Array(n);
  const first = new Int32Array(n);
  const client: string[] = new Array(n);
  const therapist: string[] = new Array(n);
  for (let j = 0, at = 0; j < n; j++) {
    const i = order[j]!;
    const from = set.start[i]!;
    const to = set.start[i + 1]!;
    session.set(set.session.subarray(from, to), at);
    score.set(set.score.subarray(from, to), at);
    at += to - from;
    start[j + 1] = at;
    administrations[j] = set.administrations[i]!;
    first[j] = set.first[i]!;
    client[j] = set.client[i]!;
    therapist[j] = set.therapist[i]!;
  }
  return { client, therapist, administrations, first, start, session, score };
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

/**
 * The least-squares slope of y on x, as simple-statistics' linearRegression computes it (its
 * operations, in its order: the means, then the centred cross-product and square sums), on two
 * columns rather than an array of pairs. test/trajectory/units.test.ts compares the two.
 */
export function olsSlope(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n === 1) return 0;
  let sumX = 0;
  let sumY = 0;
  for (let i = 0; i < n; i++) {
    sumX += x[i]!;
    sumY += y[i]!;
  }
  const meanX = sumX / n;
  const meanY = sumY / n;
  let sumXY = 0;
  let sumXX = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - meanX;
    sumXY += dx * (y[i]! - meanY);
    sumXX += dx * dx;
  }
  return sumXY / sumXX;
}

export function summariseSeries(p: Points): ClientSummary {
  const n = p.score.length;
  if (n === 0) return { nSessions: 0, firstSession: null, lastSession: null, firstScore: null, lastScore: null, change: null, mean: null, slope: null };
  const firstScore = p.score[0]!;
  const lastScore = p.score[n - 1]!;
  return {
    nSessions: n,
    firstSession: p.session[0]!,
    lastSession: p.session[n - 1]!,
    firstScore,
    lastScore,
    change: n >= 2 ? lastScore - firstScore : null,
    mean: mean(p.score as number[]),
    slope: n >= 3 ? olsSlope(p.session, p.score) : null,
  };
}
