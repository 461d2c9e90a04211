/**
 * Sample quantile, R's default `quantile(x, p, type = 7)` (Hyndman & Fan, 1996, definition 7):
 * h = (n − 1)p, linear interpolation between the order statistics around h.
 * Example: quantile7([1, 2, 3, 4], 0.25) = 1.75 (R gives 1.75).
 */
export function quantile7(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
