/** Number formatting and terminal-safe text, shared by every renderer. Pure. */
export { naturalOrder } from '../instrument/names.js';

/**
 * Text safe to print on a terminal: control characters (C0 but tab and line feed, DEL, C1, so no
 * escape sequence can move the cursor, recolour or retitle the terminal) and the bidirectional
 * overrides that can make text display other than it reads ("Trojan Source", CVE-2021-42574)
 * are removed. Definition text and cell values reach the terminal only through this.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, '');
}

const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * printable() for a line rapport composed with its own colours: the single-parameter SGR codes its
 * colours are made of (ESC [ n m) stay; every other control character goes.
 */
export function printableStyled(text: string): string {
  return text.replace(/\u001b\[\d{1,2}m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (m) => (m.length > 1 ? m : ''));
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

/**
 * A double as R's write.csv writes it (R 4.2, R_print.digits = 15, scipen = 0; formatReal in R's
 * src/main/format.c): rounded to 15 significant digits, trailing zeros dropped, in fixed notation
 * when that is no wider than scientific, else scientific with a two-digit (or three-digit)
 * exponent. So 0.1 + 0.2 is "0.3", 1/3 is "0.333333333333333", 1e-4 is "1e-04" and 1e5 + 0.5 is
 * "100000.5". Whole numbers below 2^53 are written as integers (as R writes integer columns:
 * counts stay "100000", not "1e+05"). Checked against R on fixtures/numbers/r_format.csv.
 */
export function rNumber(x: number): string {
  if (Number.isNaN(x)) return 'NA';
  if (!Number.isFinite(x)) return x > 0 ? 'Inf' : '-Inf';
  if (x === 0) return '0';
  if (Number.isSafeInteger(x)) return String(x);
  const { digits, kpower } = significant15(Math.abs(x));
  const sig = digits.replace(/0+$/, '') || '0';
  const nsig = sig.length;
  const neg = x < 0 ? '-' : '';
  const rgt = Math.max(0, nsig - kpower - 1);
  const fixedWidth = neg.length + (kpower >= 0 ? kpower + 1 : 1) + (rgt > 0 ? rgt + 1 : 0);
  const sciWidth = neg.length + (nsig > 1 ? nsig + 1 : 1) + 2 + (Math.abs(kpower) >= 100 ? 3 : 2);
  if (fixedWidth <= sciWidth) {
    // More than 15 digits before the point: C's %.0f prints the double's own digits (rounded half to even).
    if (kpower >= 15) return neg + wholePart(Math.abs(x));
    if (kpower < 0) return `${neg}0.${'0'.repeat(-kpower - 1)}${sig}`;
    const whole = sig.slice(0, kpower + 1).padEnd(kpower + 1, '0');
    return rgt > 0 ? `${neg}${whole}.${sig.slice(kpower + 1)}` : neg + whole;
  }
  return `${neg}${sig[0]}${nsig > 1 ? `.${sig.slice(1)}` : ''}e${kpower < 0 ? '-' : '+'}${String(Math.abs(kpower)).padStart(2, '0')}`;
}

/**
 * The 15 significant digits of a positive double, rounded to nearest with ties to even (as C's
 * printf, which R uses), and the power of ten of the first. From the shortest digits that read
 * back as x (toExponential()): with 15 or fewer they are the answer (no other 15-digit number is
 * nearer x); with 16 or 17, rounding them to 15 is rounding x itself, as no rounding boundary (a
 * 16-digit number ending in 5) lies between x and its shortest digits (it would then be a shorter
 * or nearer candidate). Only shortest digits that are themselves such a boundary need x's exact
 * value: a tie if x equals them, else the side x lies on.
 */
export function significant15(x: number): { digits: string; kpower: number } {
  // Subnormal doubles have fewer bits, so their shortest digits can be fewer than 15 and not x's.
  if (x < 2.2250738585072014e-308) return subnormal15(x);
  const shortest = x.toExponential();
  const e = shortest.indexOf('e');
  const kpower = Number(shortest.slice(e + 1));
  const digits = shortest[0]! + shortest.slice(2, e);
  if (digits.length <= 15) return { digits, kpower };
  if (digits.length === 16 && digits[15] === '5') return boundary(x, digits, kpower);
  return digits.charCodeAt(15) >= 53 ? roundUp(digits.slice(0, 15), kpower) : { digits: digits.slice(0, 15), kpower };
}

/** x rounded to 15 digits by toExponential (ties away from zero), a tie (x's exact digits: 16, the last 5) then to even. */
function subnormal15(x: number): { digits: string; kpower: number } {
  const [m, e] = x.toExponential(14).split('e') as [string, string];
  const exact = exactDigits(x);
  if (exact.length === 16 && exact.endsWith('5') && Number(exact[14]) % 2 === 0) return { digits: exact.slice(0, 15), kpower: Number(e) };
  return { digits: m.replace('.', ''), kpower: Number(e) };
}

/** digits (15) plus one unit in the last place, carrying into a new first digit if need be. */
function roundUp(digits: string, kpower: number): { digits: string; kpower: number } {
  let i = digits.length - 1;
  while (i >= 0 && digits[i] === '9') i--;
  if (i < 0) return { digits: `1${'0'.repeat(digits.length - 1)}`, kpower: kpower + 1 };
  return { digits: digits.slice(0, i) + String.fromCharCode(digits.charCodeAt(i) + 1) + '0'.repeat(digits.length - 1 - i), kpower };
}

/** Shortest digits d1…d15 5 of x: down, up, or (x exactly on them) to the even 15th digit. */
function boundary(x: number, digits: string, kpower: number): { digits: string; kpower: number } {
  const down = digits.slice(0, 15);
  const exact = exactDigits(x);
  const sixteen = exact.slice(0, 16).padEnd(16, '0');
  const cmp = sixteen === digits ? (exact.length > 16 ? 1 : 0) : sixteen < digits ? -1 : 1;
  if (cmp < 0 || (cmp === 0 && Number(down[14]) % 2 === 0)) return { digits: down, kpower };
  return roundUp(down, kpower);
}

/** The significant digits of a positive double's exact decimal value (x = m · 2^e exactly). */
function exactDigits(x: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e = biased - 1075;
  if (biased === 0) e = -1074;
  else mantissa |= 1n << 52n;
  const text = e >= 0 ? (mantissa << BigInt(e)).toString() : (mantissa * 5n ** BigInt(-e)).toString();
  return text.replace(/^0+/, '').replace(/0+$/, '');
}

/** A positive double of 1e15 or more rounded to a whole number, half to even, as text. */
function wholePart(x: number): string {
  const floor = Math.floor(x);
  const frac = x - floor;
  const up = frac > 0.5 || (frac === 0.5 && floor % 2 === 1);
  return BigInt(floor + (up ? 1 : 0)).toString();
}

/** CSV text of a number: as R's write.csv writes it (rNumber), after rounding to `digits` decimals if given; null is empty. */
export function formatNumber(x: number | null | undefined, digits?: number): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '';
  const v = digits === undefined ? x : roundTo(x, digits);
  return Object.is(v, -0) ? '0' : rNumber(v);
}
