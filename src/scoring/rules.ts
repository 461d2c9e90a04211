/**
 * The scoring rules, written once (README "How rapport scores"). Pure. A `sum` scale is the sum
 * when every item is answered, and the prorated sum mean(answered) × k when 1…maxMissing items are
 * missing (each missing item replaced by the mean of the same person's answered items of that
 * scale); a `mean` scale is the mean of the answered items. More missing than maxMissing, no
 * answer at all, or any invalid answer among the scale's items gives no score. A row's status for
 * an instrument is its worst scale's state, and `invalid` if any of its items is.
 */
import type { ScaleMethod } from '../instrument/types.js';

export type InstrumentStatus = 'ok' | 'prorated' | 'incomplete' | 'invalid';

/** The statuses in order of severity (a state is an index into this list). */
export const STATUSES: readonly InstrumentStatus[] = ['ok', 'prorated', 'incomplete', 'invalid'];
export const OK = 0;
/** The state of a scale that has a score but not from every item; OK and PRORATED ones have a score. */
export const PRORATED = 1;
export const INCOMPLETE = 2;
export const INVALID = 3;

/** A scale's state from how many of its k items were answered, and whether any was invalid. */
export function scaleState(answered: number, k: number, anyInvalid: boolean, maxMissing: number): number {
  if (anyInvalid) return INVALID;
  const missing = k - answered;
  if (answered === 0 || missing > maxMissing) return INCOMPLETE;
  return missing > 0 ? PRORATED : OK;
}

/** The score of a scale in state OK or PRORATED, from the sum and count of its answered items. */
export function scaleScore(sum: number, answered: number, k: number, method: ScaleMethod): number {
  if (method === 'mean') return sum / answered;
  return answered === k ? sum : (sum / answered) * k;
}

/** Reverse keying (Likert convention): min + max − x, so min <-> max and the midpoint stays. */
export function reverseKey(value: number, scale: { min: number; max: number }): number {
  return scale.min + scale.max - value;
}
