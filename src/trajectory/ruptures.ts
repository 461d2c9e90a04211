/**
 * Alliance ruptures and repairs over a client's consecutive observed scores A. Pure.
 * Published criteria differ; all are parameterised here:
 *   stiles  (Stiles et al., 2004): a drop of at least 2 × the client's own SD of A (≥ 3 scores);
 *   strauss (Strauss et al., 2006): a drop of at least 1 × SD_inter, the SD of all consecutive
 *           differences pooled over clients;
 *   gumz    (Gumz et al., 2012; the default): the larger of the two (SD_inter alone when the client
 *           has fewer than 3 scores).
 * A rupture at t: A(t−1) − A(t) ≥ threshold (mirrored when lower is better), and the drop is > 0.
 * Its repair: the first later observed score within W observations back at A(t−1) or better. A
 * rupture is unresolved when it was not repaired and the last score is still below A(t−1) by a
 * reliable margin (the measure's reliable-change criterion).
 */
import { sampleStandardDeviation } from 'simple-statistics';
import type { Points, SeriesSet } from './series.js';

export type RuptureMethod = 'gumz' | 'stiles' | 'strauss';

export interface RuptureEvent {
  type: 'rupture' | 'repair';
  session: number;
  before: number;
  after: number;
  magnitude: number;
}

export interface RuptureResult {
  events: RuptureEvent[];
  ruptures: number;
  repairs: number;
  /**
   * Ruptures not repaired in the window whose pre-rupture level the last score is still below by at
   * least `stillBelowBy` (a reliable difference): the alliance has not come back.
   */
  unresolved: number;
  sdIntra: number | null;
  threshold: number | null;
}

/** SD (n − 1) of every consecutive difference A(t) − A(t−1) over all series; null with fewer than 2. */
export function pooledDifferenceSd(set: Pick<SeriesSet, 'start' | 'score'>): number | null {
  const n = set.start.length - 1;
  const diffs = new Float64Array(Math.max(0, set.score.length - n));
  let k = 0;
  for (let i = 0; i < n; i++) for (let t = set.start[i]! + 1; t < set.start[i + 1]!; t++) diffs[k++] = set.score[t]! - set.score[t - 1]!;
  return k >= 2 ? sampleStandardDeviation(diffs.subarray(0, k) as unknown as number[]) : null;
}

export function ruptureThreshold(method: RuptureMethod, sdIntra: number | null, sdInter: number | null): number | null {
  const stiles = sdIntra === null ? null : 2 * sdIntra;
  if (method === 'stiles') return stiles;
  if (method === 'strauss') return sdInter;
  const candidates = [stiles, sdInter].filter((x): x is number => x !== null);
  return candidates.length > 0 ? Math.max(...candidates) : null;
}

export function findRuptures(p: Points, opts: { method: RuptureMethod; sdInter: number | null; higherIsBetter: boolean; repairWindow: number; stillBelowBy?: number }): RuptureResult {
  const { session, score } = p;
  const n = score.length;
  const sdIntra = n >= 3 ? sampleStandardDeviation(score as number[]) : null;
  const threshold = ruptureThreshold(opts.method, sdIntra, opts.sdInter);
  const events: RuptureEvent[] = [];
  let ruptures = 0;
  let repairs = 0;
  let unresolved = 0;
  const d = opts.higherIsBetter ? 1 : -1;
  if (threshold !== null && threshold > 0) {
    for (let t = 1; t < n; t++) {
      const prev = score[t - 1]!;
      const cur = score[t]!;
      const drop = d * (prev - cur);
      if (!(drop > 0 && drop >= threshold)) continue;
      ruptures++;
      events.push({ type: 'rupture', session: session[t]!, before: prev, after: cur, magnitude: drop });
      let repaired = false;
      for (let s = t + 1; s <= Math.min(n - 1, t + opts.repairWindow); s++) {
        const later = score[s]!;
        if (d * later >= d * prev) {
          repairs++;
          repaired = true;
          events.push({ type: 'repair', session: session[s]!, before: cur, after: later, magnitude: Math.abs(later - cur) });
          break;
        }
      }
      // Still below, by a reliable margin (the measure's reliable change, else the rupture threshold itself).
      if (!repaired && d * (prev - score[n - 1]!) >= (opts.stillBelowBy ?? threshold) && d * score[n - 1]! < d * prev) unresolved++;
    }
  }
  return { events, ruptures, repairs, unresolved, sdIntra, threshold };
}
