/**
 * Sudden gains and losses (Tang & DeRubeis, 1999) decided as the R package suddengains 0.7.2 does
 * (Wiedemann et al.; rules in ../shared/reference/sudden-gains/README.md). Pure.
 *
 * On a grid of consecutive sessions (an absent session is missing), the interval from pregain
 * position N to N+1 (N = 2 … T−2) is a sudden change when, with c the change in the direction looked
 * for (a gain is an improvement, a loss a worsening):
 *   1. c ≥ cutoff;
 *   2. c ≥ 25 % of the pregain score;
 *   3. mean(N−2…N) and mean(N+1…N+3) (windows clipped to the grid, missing values dropped, at least
 *      2 on each side) differ in that direction by more than |t(α/2, n1 + n2 − 2)| × pooled SD.
 * An undecidable criterion (a missing score) gives no sudden change. A gain is reversed when a score
 * at position N+3 or later moves back by more than half its magnitude (suddengains' create_bysg).
 */
import { tQuantile } from '../stats/distributions.js';

export interface SuddenChange {
  /** Grid session N (the last session before the change). */
  session: number;
  before: number;
  after: number;
  /** |score(N) − score(N+1)|. */
  magnitude: number;
  reversal: boolean;
}

export interface SuddenOptions {
  cutoff: number;
  higherIsBetter: boolean;
  kind: 'gain' | 'loss';
  pct?: number;
  alpha?: number;
}

/** |t(α/2, df)|, remembered: df is 2 … 4 here, and each quantile is a root search. */
const critical = new Map<string, number>();
function tCritical(alpha: number, df: number): number {
  const key = `${alpha} ${df}`;
  let t = critical.get(key);
  if (t === undefined) critical.set(key, (t = Math.abs(tQuantile(alpha / 2, df))));
  return t;
}

function meanSd(xs: number[]): { n: number; mean: number; variance: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { n, mean, variance };
}

/** `scores[i]` is the score at session gridStart + i, or null when missing. */
export function findSuddenChanges(scores: readonly (number | null)[], gridStart: number, opts: SuddenOptions): SuddenChange[] {
  const pct = opts.pct ?? 0.25;
  const alpha = opts.alpha ?? 0.05;
  const better = opts.higherIsBetter ? 1 : -1;
  const s = opts.kind === 'gain' ? better : -better; // sign of the change looked for
  const T = scores.length;
  const out: SuddenChange[] = [];
  // 0-based pregain index n = 1 … T−3 (positions 2 … T−2).
  for (let n = 1; n <= T - 3; n++) {
    const xn = scores[n];
    const xn1 = scores[n + 1];
    if (xn === null || xn === undefined || xn1 === null || xn1 === undefined) continue;
    const c = s * (xn1 - xn);
    if (!(c >= opts.cutoff)) continue;
    if (!(c >= pct * xn)) continue;
    const pre = scores.slice(Math.max(0, n - 2), n + 1).filter((x): x is number => x !== null);
    const post = scores.slice(n + 1, Math.min(T, n + 4)).filter((x): x is number => x !== null);
    if (pre.length < 2 || post.length < 2) continue;
    const a = meanSd(pre);
    const b = meanSd(post);
    const df = a.n + b.n - 2;
    const pooled = Math.sqrt(((a.n - 1) * a.variance + (b.n - 1) * b.variance) / df);
    const t = tCritical(alpha, df);
    if (!(s * (b.mean - a.mean) > t * pooled)) continue;
    const magnitude = Math.abs(xn - xn1);
    let reversal = false;
    for (let m = n + 3; m < T; m++) {
      const xm = scores[m];
      if (xm !== null && xm !== undefined && s * (xn1 - xm) > magnitude / 2) reversal = true;
    }
    out.push({ session: gridStart + n, before: xn, after: xn1, magnitude, reversal });
  }
  return out;
}
