/**
 * Raw responses -> item values -> scale scores, one row at a time. Pure.
 *
 * Rules (README "How rapport scores"): reverse-keyed items are min + max − x. A `sum` scale is the
 * sum when every item is answered and the prorated sum mean(answered) × k when 1…maxMissing are
 * missing; a `mean` scale is the mean of the answered items. More missing than maxMissing, or any
 * invalid value among the scale's items, gives no score.
 */
import type { Instrument, ScaleMethod } from '../instrument/types.js';
import { buildResponseParser, type ParsedResponse, parseResponse, type ResponseParser, type ResponseProblemCode, reverseKey } from './response.js';

export type InstrumentStatus = 'ok' | 'prorated' | 'incomplete' | 'invalid';

export interface ItemProblem {
  itemId: string;
  column: string;
  value: string;
  code: ResponseProblemCode;
  message: string;
}

export interface InstrumentScore {
  /** One per scale, in definition order; null when the scale could not be scored. */
  scales: Array<number | null>;
  /** Items with a valid answer. */
  answered: number;
  status: InstrumentStatus;
  problems: ItemProblem[];
}

interface PlannedScale {
  method: ScaleMethod;
  maxMissing: number;
  items: number[];
}

/** An instrument bound to the columns of one file: everything scoreRow needs, computed once. */
export interface ScoringPlan {
  instrument: Instrument;
  parser: ResponseParser;
  /** Column index of each item, in item order. */
  columns: number[];
  /** Header name of each item's column, for problem reports. */
  columnNames: string[];
  reverse: boolean[];
  scales: PlannedScale[];
}

export function buildScoringPlan(instrument: Instrument, columns: number[], header: readonly string[], opts: { decimalComma?: boolean } = {}): ScoringPlan {
  const position = new Map(instrument.items.map((item, i) => [item.id, i]));
  return {
    instrument,
    parser: buildResponseParser(instrument.responseScale, opts),
    columns,
    columnNames: columns.map((c) => header[c] ?? ''),
    reverse: instrument.items.map((item) => item.reverse === true),
    scales: instrument.scales.map((s) => ({ method: s.method, maxMissing: s.maxMissing ?? 0, items: s.items.map((id) => position.get(id)!) })),
  };
}

export type ScaleOutcome = { score: number | null; state: InstrumentStatus };

/**
 * One scale from its items' values (NaN = missing) and whether any item is invalid.
 * Prorating (a sum from fewer than k answers) is mean(answered) × k: each missing item is replaced
 * by the mean of the same person's answered items of that scale (person-mean substitution).
 */
export function scoreScale(values: readonly number[], anyInvalid: boolean, method: ScaleMethod, maxMissing: number): ScaleOutcome {
  let sum = 0;
  let answered = 0;
  for (const v of values) {
    if (!Number.isNaN(v)) {
      sum += v;
      answered++;
    }
  }
  return scaleOutcome(sum, answered, values.length, anyInvalid, method, maxMissing);
}

/** The scale rules, from the sum and count of the answered items (the one place they are written). */
export function scaleOutcome(sum: number, answered: number, k: number, anyInvalid: boolean, method: ScaleMethod, maxMissing: number): ScaleOutcome {
  if (anyInvalid) return { score: null, state: 'invalid' };
  const missing = k - answered;
  if (answered === 0 || missing > maxMissing) return { score: null, state: 'incomplete' };
  if (method === 'mean') return { score: sum / answered, state: missing > 0 ? 'prorated' : 'ok' };
  return missing === 0 ? { score: sum, state: 'ok' } : { score: (sum / answered) * k, state: 'prorated' };
}

const SEVERITY: Record<InstrumentStatus, number> = { ok: 0, prorated: 1, incomplete: 2, invalid: 3 };

export interface ItemValues {
  /** Item values in item order, reverse-keyed; NaN when missing or invalid. */
  values: Float64Array;
  /** 1 where an item held an invalid value. */
  invalid: Uint8Array;
  answered: number;
  problems: ItemProblem[];
}

/** A row as the scorer needs it: cell text, and (on the fast path) numbers read from bytes. */
export interface RowCells {
  readonly fields: string[];
  number?(i: number, decimalComma: boolean): number;
  text?(i: number): string;
}

const NO_PROBLEMS: ItemProblem[] = Object.freeze([]) as unknown as ItemProblem[];

/** Reads an instrument's items from one row: the step score, reliability and trajectories share. */
export function readItems(plan: ScoringPlan, row: readonly string[] | RowCells): ItemValues {
  const n = plan.columns.length;
  const values = new Float64Array(n);
  const invalid = new Uint8Array(n);
  let problems = NO_PROBLEMS;
  let answered = 0;
  const fast = !Array.isArray(row) && (row as RowCells).number !== undefined ? (row as RowCells) : undefined;
  const fields = fast ? undefined : Array.isArray(row) ? (row as readonly string[]) : (row as RowCells).fields;
  const dc = plan.parser.decimalComma;
  const { min, max } = plan.parser.scale;
  const continuous = plan.parser.scale.continuous === true;
  for (let i = 0; i < n; i++) {
    const col = plan.columns[i]!;
    let parsed: ParsedResponse;
    let raw: string;
    const number = fast ? fast.number!(col, dc) : Number.NaN;
    if (number === number && number >= min && number <= max && (continuous || Number.isInteger(number))) {
      // A valid plain number read from the bytes: the common case, without allocating.
      values[i] = plan.reverse[i] ? min + max - number : number;
      answered++;
      continue;
    }
    if (number === number) {
      raw = fast!.text!(col);
      parsed = parseResponse(raw, plan.parser);
    } else {
      raw = fast ? fast.text!(col) : (fields![col] ?? '');
      parsed = parseResponse(raw, plan.parser);
    }
    if (parsed.kind === 'value') {
      values[i] = plan.reverse[i] ? reverseKey(parsed.value, plan.instrument.responseScale) : parsed.value;
      answered++;
    } else {
      values[i] = Number.NaN;
      if (parsed.kind === 'problem') {
        invalid[i] = 1;
        if (problems === NO_PROBLEMS) problems = [];
        problems.push({ itemId: plan.instrument.items[i]!.id, column: plan.columnNames[i]!, value: raw, code: parsed.code, message: parsed.message });
      }
    }
  }
  return { values, invalid, answered, problems };
}

/** Scores one instrument on one row of fields. */
export function scoreRow(plan: ScoringPlan, row: readonly string[] | RowCells): InstrumentScore {
  return scoreItems(plan, readItems(plan, row));
}

/** Scale scores and status from item values already read. Allocation-free apart from the result. */
export function scoreItems(plan: ScoringPlan, items: ItemValues): InstrumentScore {
  const { values, invalid, answered, problems } = items;
  let status: InstrumentStatus = problems.length > 0 ? 'invalid' : 'ok';
  const scales = new Array<number | null>(plan.scales.length);
  for (let k = 0; k < plan.scales.length; k++) {
    const sc = plan.scales[k]!;
    const idx = sc.items;
    let sum = 0;
    let n = 0;
    let bad = false;
    for (let j = 0; j < idx.length; j++) {
      const i = idx[j]!;
      if (invalid[i]) bad = true;
      const v = values[i]!;
      if (v === v) {
        sum += v;
        n++;
      }
    }
    const { score, state } = scaleOutcome(sum, n, idx.length, bad, sc.method, sc.maxMissing);
    if (SEVERITY[state] > SEVERITY[status]) status = state;
    scales[k] = score;
  }
  return { scales, answered, status, problems };
}
