/** Number formatting and the order of ids, shared by every renderer. Pure. */

let collatorCompare: ((a: string, b: string) => number) | undefined;

/**
 * Ids and labels in natural order ("C2" before "C10"); one collator, far faster than localeCompare
 * per call. Made at the first comparison: building it takes ~30 ms, which commands that never sort
 * (score) need not pay at start-up.
 */
export function naturalOrder(a: string, b: string): number {
  collatorCompare ??= new Intl.Collator('en', { numeric: true }).compare;
  return collatorCompare(a, b);
}

/**
 * Rounds half away from zero to `digits` decimals, by shifting the decimal point in the number's
 * text form so that 1.005 rounds to 1.01 (binary floating point would give 1.00).
 */
export function roundTo(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const sign = x < 0 ? -1 : 1;
  const shifted = Math.round(Number(`${Math.abs(x)}e${digits}`));
  return sign * Number(`${shifted}e-${digits}`);
}

/** CSV text of a number: full precision (shortest round-trip form) unless digits is given; null is empty. */
export function formatNumber(x: number | null | undefined, digits?: number): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '';
  const v = digits === undefined ? x : roundTo(x, digits);
  return Object.is(v, -0) ? '0' : String(v);
}
