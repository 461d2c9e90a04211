/**
 * Alliance ruptures and repairs over a client's consecutive observed scores A. Pure.
 * Published criteria differ; all are parameterised here:
 *   stiles  (Stiles et al., 2004): a drop of at least 2 × the client's own SD of A (≥ 3 scores);
 *   strauss (Strauss et al., 2006): a drop of at least 1 × SD_inter, the SD of all consecutive
 *           differences pooled over clients;
 *   gumz    (Gumz et al., 2012; the default): the larger of the two (SD_inter alone when the client
 *           has fewer than 3 scores).
 * A rupture at t: A(t−1) − A(t) ≥ threshold (mirrored when lower is better), and the drop is > 0.
 * Its repair: the first later observed score within W observations back at A(t−1) or better.
 */
import { sampleStandardDeviation } from 'simple-statistics';
import type { Observation } from './series.js';

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
  /** Ruptures neither repaired in the window nor back at the pre-rupture level by the last score. */
  unresolved: number;
  sdIntra: number | null;
  threshold: number | null;
}

/** SD (n − 1) of every consecutive difference A(t) − A(t−1) over all series; null with fewer than 2. */
export function pooledDifferenceSd(series: readonly (readonly Observation[])[]): number | null {
  const diffs: number[] = [];
  for (const obs of series) for (let t = 1; t < obs.length; t++) diffs.push(obs[t]!.score - obs[t - 1]!.score);
  return diffs.length >= 2 ? sampleStandardDeviation(diffs) : null;
}

export function ruptureThreshold(method: RuptureMethod, sdIntra: number | null, sdInter: number | null): number | null {
  const stiles = sdIntra === null ? null : 2 * sdIntra;
  if (method === 'stiles') return stiles;
  if (method === 'strauss') return sdInter;
  const candidates = [stiles, sdInter].filter((x): x is number => x !== null);
  return candidates.length > 0 ? Math.max(...candidates) : null;
}

export function findRuptures(obs: readonly Observation[], opts: { method: RuptureMethod; sdInter: number | null; higherIsBetter: boolean; repairWindow: number }): RuptureResult {
  const sdIntra = obs.length >= 3 ? sampleStandardDeviation(obs.map((o) => o.score)) : null;
  const threshold = ruptureThreshold(opts.method, sdIntra, opts.sdInter);
  const events: RuptureEvent[] = [];
  let ruptures = 0;
  let repairs = 0;
  let unresolved = 0;
  const d = opts.higherIsBetter ? 1 : -1;
  if (threshold !== null && threshold > 0) {
    for (let t = 1; t < obs.length; t++) {
      const prev = obs[t - 1]!;
      const cur = obs[t]!;
      const drop = d * (prev.score - cur.score);
      if (!(drop > 0 && drop >= threshold)) continue;
      ruptures++;
      events.push({ type: 'rupture', session: cur.session, before: prev.score, after: cur.score, magnitude: drop });
      let repaired = false;
      for (let s = t + 1; s <= Math.min(obs.length - 1, t + opts.repairWindow); s++) {
        const later = obs[s]!;
        if (d * later.score >= d * prev.score) {
          repairs++;
          repaired = true;
          events.push({ type: 'repair', session: later.session, before: cur.score, after: later.score, magnitude: Math.abs(later.score - cur.score) });
          break;
        }
      }
      if (!repaired && d * obs[obs.length - 1]!.score < d * prev.score) unresolved++;
    }
  }
  return { events, ruptures, repairs, unresolved, sdIntra, threshold };
}
