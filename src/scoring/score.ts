/**
 * Raw responses -> item values -> scale scores, one row at a time. Pure.
 *
 * Rules (README "How rapport scores"): reverse-keyed items are min + max − x. A `sum` scale is the
 * sum when every item is answered and the prorated sum mean(answered) × k when 1…maxMissing are
 * missing; a `mean` scale is the mean of the answered items. More missing than maxMissing, or any
 * invalid value among the scale's items, gives no score.
 */
import type { Instrument, ScaleMethod } from '../instrument/types.js';
import { DigitRows } from '../io/fast-csv.js';
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
  /** For RowCells.digits: the columns and reverse flags as typed arrays, when every valid answer is one digit (whole numbers within 0…9). */
  digits?: { columns: Int32Array; reverse: Uint8Array };
}

export function buildScoringPlan(instrument: Instrument, columns: number[], header: readonly string[], opts: { decimalComma?: boolean } = {}): ScoringPlan {
  const position = new Map(instrument.items.map((item, i) => [item.id, i]));
  const { min, max, continuous } = instrument.responseScale;
  const oneDigit = continuous !== true && Number.isInteger(min) && Number.isInteger(max) && min >= 0 && max <= 9;
  return {
    instrument,
    parser: buildResponseParser(instrument.responseScale, opts),
    columns,
    columnNames: columns.map((c) => header[c] ?? ''),
    reverse: instrument.items.map((item) => item.reverse === true),
    scales: instrument.scales.map((s) => ({ method: s.method, maxMissing: s.maxMissing ?? 0, items: s.items.map((id) => position.get(id)!) })),
    ...(oneDigit ? { digits: { columns: Int32Array.from(columns), reverse: Uint8Array.from(instrument.items, (item) => (item.reverse === true ? 1 : 0)) } } : {}),
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

/** The statuses in order of severity: a row's status is its worst scale's. */
export const STATUSES: readonly InstrumentStatus[] = ['ok', 'prorated', 'incomplete', 'invalid'];
const OK = 0;
/** The state of a scale that has a score but not from every item (STATUSES index); OK and PRORATED ones have a score. */
export const PRORATED = 1;
const INCOMPLETE = 2;
const INVALID = 3;

/** The scale rules (the one place they are written): the state, as an index into STATUSES. */
export function scaleState(answered: number, k: number, anyInvalid: boolean, maxMissing: number): number {
  if (anyInvalid) return INVALID;
  const missing = k - answered;
  if (answered === 0 || missing > maxMissing) return INCOMPLETE;
  return missing > 0 ? PRORATED : OK;
}

/** The score of a scale in state ok or prorated, from the sum and count of its answered items. */
export function scaleScore(sum: number, answered: number, k: number, method: ScaleMethod): number {
  if (method === 'mean') return sum / answered;
  return answered === k ? sum : (sum / answered) * k;
}

export function scaleOutcome(sum: number, answered: number, k: number, anyInvalid: boolean, method: ScaleMethod, maxMissing: number): ScaleOutcome {
  const state = scaleState(answered, k, anyInvalid, maxMissing);
  return { score: state <= PRORATED ? scaleScore(sum, answered, k, method) : null, state: STATUSES[state]! };
}

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
  digits?(columns: Int32Array, reverse: Uint8Array, min: number, max: number, values: Float64Array, invalid: Uint8Array): number;
}

const NO_PROBLEMS: ItemProblem[] = Object.freeze([]) as unknown as ItemProblem[];

/** Scratch space for readItems: one per plan, reused row after row. */
export function newItemValues(plan: ScoringPlan): ItemValues {
  const n = plan.columns.length;
  return { values: new Float64Array(n), invalid: new Uint8Array(n), answered: 0, problems: NO_PROBLEMS };
}

/**
 * Reads an instrument's items from one row: the step score, reliability and trajectories share.
 * With `out`, its arrays are overwritten (and its problems replaced), so a row costs no allocation.
 */
export function readItems(plan: ScoringPlan, row: readonly string[] | RowCells, out: ItemValues = newItemValues(plan)): ItemValues {
  const n = plan.columns.length;
  const { values, invalid } = out;
  let problems = NO_PROBLEMS;
  let answered = 0;
  const fast = !Array.isArray(row) && (row as RowCells).number !== undefined ? (row as RowCells) : undefined;
  const { min, max } = plan.parser.scale;
  if (fast?.digits && plan.digits) {
    // The common row: every cell one digit or empty.
    const answered = fast.digits(plan.digits.columns, plan.digits.reverse, min, max, values, invalid);
    if (answered >= 0) {
      out.answered = answered;
      out.problems = NO_PROBLEMS;
      return out;
    }
  }
  const fields = fast ? undefined : Array.isArray(row) ? (row as readonly string[]) : (row as RowCells).fields;
  const dc = plan.parser.decimalComma;
  const continuous = plan.parser.scale.continuous === true;
  const { columns, reverse } = plan;
  for (let i = 0; i < n; i++) {
    const col = columns[i]!;
    let parsed: ParsedResponse;
    let raw: string;
    const number = fast ? fast.number!(col, dc) : Number.NaN;
    if (number === number && number >= min && number <= max && (continuous || Number.isInteger(number))) {
      // A valid plain number read from the bytes: the common case, without allocating.
      values[i] = reverse[i] ? min + max - number : number;
      invalid[i] = 0;
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
    invalid[i] = 0;
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
  out.answered = answered;
  out.problems = problems;
  return out;
}

/** Scores one instrument on one row of fields. */
export function scoreRow(plan: ScoringPlan, row: readonly string[] | RowCells): InstrumentScore {
  return scoreItems(plan, readItems(plan, row));
}

/**
 * Scale scores and status from item values already read. With `out`, its scales array is reused
 * (and the result is `out`), so a row costs no allocation.
 */
export function scoreItems(plan: ScoringPlan, items: ItemValues, out?: InstrumentScore): InstrumentScore {
  const { answered, problems } = items;
  let worst = problems.length > 0 ? INVALID : OK;
  const scales = out ? out.scales : new Array<number | null>(plan.scales.length);
  for (let k = 0; k < plan.scales.length; k++) {
    const state = scoreScaleOf(plan, items, k, scales);
    if (state > worst) worst = state;
  }
  if (!out) return { scales, answered, status: STATUSES[worst]!, problems };
  out.answered = answered;
  out.status = STATUSES[worst]!;
  out.problems = problems;
  return out;
}

/** Scale k of a row from its items already read: its score (or null) into scales[k]; returns its state. */
function scoreScaleOf(plan: ScoringPlan, items: ItemValues, k: number, scales: Array<number | null>): number {
  const { values, invalid } = items;
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
  const state = scaleState(n, idx.length, bad, sc.maxMissing);
  scales[k] = state <= PRORATED ? scaleScore(sum, n, idx.length, sc.method) : null;
  return state;
}

/**
 * A DigitRows reader for the plan (every record of a batch read at once by the WebAssembly kernel),
 * when its valid answers are all one digit; `values` if the caller needs the item values, `sums`
 * if it needs the scale sums (reliability needs the values alone).
 */
export function digitRowsFor(plan: ScoringPlan, values: boolean, sums = true): DigitRows | undefined {
  if (!plan.digits) return undefined;
  const { min, max } = plan.parser.scale;
  const scales = sums ? plan.scales.map((s) => Int32Array.from(s.items)) : [];
  return new DigitRows({ columns: plan.digits.columns, reverse: plan.digits.reverse, min, max, scales }, values);
}

/**
 * scoreItems for batch record j read by DigitRows (rows.answered[j] >= 0): each scale from the sum
 * and count of its answered items. Those are whole numbers summed exactly, so this is the score,
 * state and status scoreItems gives for the same row. Into `out`, which is returned.
 */
export function scoreDigitRow(plan: ScoringPlan, rows: DigitRows, j: number, out: InstrumentScore): InstrumentScore {
  const worst = scoreDigitScales(plan, rows.sums, j, out.scales);
  out.answered = rows.answered[j]!;
  out.status = STATUSES[worst]!;
  out.problems = NO_PROBLEMS;
  return out;
}

/** The scale scores of batch record j from DigitRows' sums into `scales`; returns the row's status, as an index into STATUSES. */
function scoreDigitScales(plan: ScoringPlan, sums: Int32Array, j: number, scales: Array<number | null>): number {
  const ns = plan.scales.length;
  let worst = OK;
  for (let k = 0, at = j * ns * 2; k < ns; k++, at += 2) {
    const state = digitScale(plan, k, sums[at]!, sums[at + 1]!, scales);
    if (state > worst) worst = state;
  }
  return worst;
}

/** Scale k from the sum and count of its answered items (none invalid): its score into scales[k]; returns its state. */
function digitScale(plan: ScoringPlan, k: number, sum: number, n: number, scales: Array<number | null>): number {
  const sc = plan.scales[k]!;
  const len = sc.items.length;
  const state = scaleState(n, len, false, sc.maxMissing);
  scales[k] = state <= PRORATED ? scaleScore(sum, n, len, sc.method) : null;
  return state;
}

/** Only scale k's score of batch record j read by DigitRows, as scaleScoreOf gives it. */
export function digitScaleScore(plan: ScoringPlan, rows: DigitRows, j: number, k: number): number | null {
  const at = (j * plan.scales.length + k) * 2;
  digitScale(plan, k, rows.sums[at]!, rows.sums[at + 1]!, oneScale);
  return oneScale[k] ?? null;
}

const oneScale: Array<number | null> = [];

/** Only scale k's score (as scoreItems gives it), for a caller that follows one scale. */
export function scaleScoreOf(plan: ScoringPlan, items: ItemValues, k: number): number | null {
  scoreScaleOf(plan, items, k, oneScale);
  return oneScale[k] ?? null;
}

/** A result object for scoreItems to reuse. */
export function newInstrumentScore(plan: ScoringPlan): InstrumentScore {
  return { scales: new Array<number | null>(plan.scales.length).fill(null), answered: 0, status: 'ok', problems: NO_PROBLEMS };
}
