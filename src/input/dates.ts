/**
 * Dates in cells. An ISO 8601 calendar date, alone or followed by a time (`2025-03-14`,
 * `2025-03-14 09:30`, `2025-03-14T09:30:00Z`): the date as written, as a day number (days since
 * 1970-01-01), whatever the time or zone after it. Pure.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** The day number of an ISO date (see the module comment), or NaN when the text is not one. */
export function parseIsoDay(text: string): number {
  const m = ISO.exec(text.trim());
  if (!m) return Number.NaN;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1) return Number.NaN;
  const ms = Date.UTC(y, mo - 1, d);
  // Date.UTC rolls 2025-02-30 over into March: a day past the month's end is not a date.
  if (new Date(ms).getUTCDate() !== d) return Number.NaN;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || (m[6] !== undefined && Number(m[6]) > 60))) return Number.NaN;
  return ms / 86_400_000;
}

/** How dates are written in a file: ISO (YYYY-MM-DD), day/month/year or month/day/year. */
export type DateFormat = 'iso' | 'dmy' | 'mdy';

export const DATE_FORMATS: Record<DateFormat, string> = { iso: 'YYYY-MM-DD', dmy: 'DD/MM/YYYY, DD.MM.YYYY or DD-MM-YYYY', mdy: 'MM/DD/YYYY' };

const DAY_FIRST = /^(\d{1,2})([./-])(\d{1,2})\2(\d{4})(?:[T ,]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*[AaPp][Mm])?)?$/;

/**
 * The day number of a date written as `format`; ISO dates are read whatever the format (they are
 * unambiguous). Day/month forms take 1- or 2-digit days and months, a 4-digit year, and an optional
 * time after the date (ignored, as in parseIsoDay). NaN when the text is not such a date.
 */
export function parseDay(text: string, format: DateFormat = 'iso'): number {
  const iso = parseIsoDay(text);
  if (iso === iso || format === 'iso') return iso;
  const m = DAY_FIRST.exec(text.trim());
  if (!m) return Number.NaN;
  const [a, b, y] = [Number(m[1]), Number(m[3]), Number(m[4])];
  const [d, mo] = format === 'dmy' ? [a, b] : [b, a];
  if (mo < 1 || mo > 12 || d < 1) return Number.NaN;
  const ms = Date.UTC(y, mo - 1, d);
  if (new Date(ms).getUTCDate() !== d || new Date(ms).getUTCFullYear() !== y) return Number.NaN;
  return ms / 86_400_000;
}

/** A day number as an ISO date. */
export function isoDay(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}
