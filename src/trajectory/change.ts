/**
 * Reliable and clinically significant change (Jacobson & Truax, 1991). Pure.
 *   S_diff = √2 · SD · √(1 − r);  RCI = change / S_diff;  reliable when |RCI| ≥ 1.96.
 * Example: SD = 7.5, r = .88 -> S_diff = √2 · 7.5 · √.12 = 3.674; a change of 8 gives RCI 2.18.
 */

export type ReliableChange = 'improved' | 'deteriorated' | 'no_reliable_change';
export type ClinicalChange = 'recovered' | 'improved' | 'unchanged' | 'deteriorated';

export const RCI_Z = 1.96;

export function standardErrorOfDifference(sd: number, reliability: number): number {
  return Math.SQRT2 * sd * Math.sqrt(1 - reliability);
}

/** Classifies an RCI in the direction in which the measure improves. */
export function classifyReliableChange(rci: number, higherIsBetter: boolean): ReliableChange {
  const better = higherIsBetter ? rci : -rci;
  if (better >= RCI_Z) return 'improved';
  if (better <= -RCI_Z) return 'deteriorated';
  return 'no_reliable_change';
}

/** Classifies a change against a published criterion in points (reliable at `points` or more, in the better or worse direction). */
export function classifyChange(change: number, points: number, higherIsBetter: boolean): ReliableChange {
  const better = higherIsBetter ? change : -change;
  if (better >= points) return 'improved';
  if (better <= -points) return 'deteriorated';
  return 'no_reliable_change';
}

/**
 * Whether a score lies in the clinical (dysfunctional) range of a cutoff. `cutoffIsClinical` says
 * on which side the cutoff itself lies (ORS: ≤ 25 is clinical; SRS: < 36 is a concern).
 */
export function isClinical(score: number, cutoff: number, higherIsBetter: boolean, cutoffIsClinical: boolean): boolean {
  if (score === cutoff) return cutoffIsClinical;
  return higherIsBetter ? score < cutoff : score > cutoff;
}

/**
 * Jacobson & Truax categories: recovered = reliably improved and moved from the clinical into the
 * functional range; improved = reliably improved otherwise; deteriorated = reliably worse;
 * unchanged = no reliable change.
 */
export function classifyClinicalChange(reliable: ReliableChange, firstClinical: boolean, lastClinical: boolean): ClinicalChange {
  if (reliable === 'deteriorated') return 'deteriorated';
  if (reliable === 'no_reliable_change') return 'unchanged';
  return firstClinical && !lastClinical ? 'recovered' : 'improved';
}
