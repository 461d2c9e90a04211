/** Matching names people type against the names a file or the catalogue has. Pure. */

/** A column or id name as matched: case and surrounding spaces ignored. */
export const nameKey = (name: string): string => name.trim().toLowerCase();

/** Levenshtein edit distance (Wagner & Fischer, 1974), two rows of the table at a time. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** Up to `count` names closest to `wanted`, close enough to be a plausible typo or variant. */
export function nearestNames(wanted: string, names: readonly string[], count = 3): string[] {
  const w = nameKey(wanted);
  const limit = Math.max(2, Math.floor(w.length / 3));
  return names
    .map((name) => ({ name, d: editDistance(w, nameKey(name)) }))
    .filter(({ d }) => d <= limit)
    .sort((x, y) => x.d - y.d)
    .slice(0, count)
    .map(({ name }) => name);
}

/** Response-label matching key: case folded, all white space removed ("Very  Often" -> "veryoften"). */
export function normalizeLabel(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, '');
}

let collatorCompare: ((a: string, b: string) => number) | undefined;

/**
 * Ids and labels in natural order ("C2" before "C10"); one collator, far faster than localeCompare
 * per call. Made at the first comparison, so that commands that never sort (score) do not pay for
 * building it at start-up.
 */
export function naturalOrder(a: string, b: string): number {
  collatorCompare ??= new Intl.Collator('en', { numeric: true }).compare;
  return collatorCompare(a, b);
}

