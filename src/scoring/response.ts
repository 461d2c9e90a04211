/**
 * One raw CSV cell -> one item value. Pure. The rules (README "How rapport scores"):
 * trim; empty is missing; a number is taken as it is; otherwise a response label (case and white
 * space ignored) maps to its value; a formula with no saved result (`=D3+1`, from an .xlsx file) and
 * anything else, a value outside [min, max], or a fraction on a
 * scale that is not continuous is a problem.
 */
import { normalizeLabel } from '../instrument/names.js';
import type { ResponseScale } from '../instrument/types.js';
import { parsePlainNumber } from '../input/records.js';

export type ResponseProblemCode = 'RESPONSE_NOT_NUMERIC' | 'RESPONSE_FORMULA' | 'RESPONSE_OUT_OF_RANGE' | 'RESPONSE_NOT_INTEGER';

export type ParsedResponse =
  | { kind: 'missing' }
  | { kind: 'value'; value: number }
  | { kind: 'problem'; code: ResponseProblemCode; message: string };

const MISSING: ParsedResponse = { kind: 'missing' };

/** A response scale prepared for fast cell parsing. */
export interface ResponseParser {
  readonly scale: ResponseScale;
  readonly labels: ReadonlyMap<string, number>;
  /** Accept "7,5" as 7.5 (files whose delimiter is not a comma, or --decimal ,). */
  readonly decimalComma: boolean;
}

export function buildResponseParser(scale: ResponseScale, opts: { decimalComma?: boolean } = {}): ResponseParser {
  const labels = new Map<string, number>();
  for (const [value, text] of Object.entries(scale.labels ?? {})) labels.set(normalizeLabel(text), Number(value));
  return { scale, labels, decimalComma: opts.decimalComma === true };
}

const DECIMAL_COMMA = /^[+-]?(\d+(,\d*)?|,\d+)$/;

/** A plain decimal number, with a decimal comma when allowed; NaN otherwise. */
export const parseDecimal = parsePlainNumber;

export function parseResponse(raw: string, parser: ResponseParser): ParsedResponse {
  const text = raw.trim();
  if (text === '') return MISSING;
  let value = parseDecimal(text, parser.decimalComma);
  if (Number.isNaN(value)) {
    const labelled = parser.labels.get(normalizeLabel(text));
    if (labelled === undefined) {
      if (text.startsWith('=')) {
        return { kind: 'problem', code: 'RESPONSE_FORMULA', message: `"${text}" is a spreadsheet formula without its result (the workbook was saved by a program that does not calculate; open it in a spreadsheet program and save it again)` };
      }
      const known = parser.labels.size > 0 ? ' or one of the response labels' : '';
      const comma = !parser.decimalComma && DECIMAL_COMMA.test(text) ? ' (a decimal comma? read the file with --decimal ,)' : '';
      return { kind: 'problem', code: 'RESPONSE_NOT_NUMERIC', message: `"${text}" is not a number${known}${comma}` };
    }
    value = labelled;
  }
  return checkValue(value, text, parser);
}

/** Range and whole-point checks of a value read from `text` (shared by the text and byte paths). */
export function checkValue(value: number, text: string, parser: ResponseParser): ParsedResponse {
  const { min, max, continuous } = parser.scale;
  if (value < min || value > max) {
    return { kind: 'problem', code: 'RESPONSE_OUT_OF_RANGE', message: `${text} is outside the response scale ${min}–${max}` };
  }
  if (!continuous && !Number.isInteger(value)) {
    return { kind: 'problem', code: 'RESPONSE_NOT_INTEGER', message: `${text} is not a whole number; the response scale has only whole points` };
  }
  return { kind: 'value', value };
}
