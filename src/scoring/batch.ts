/**
 * The one scorer: a batch of records -> each record's item values, scale scores, status and
 * problems for one instrument, by the rules of ./rules.ts. Rows whose answers are all one digit or
 * empty are read a batch at a time by the line kernel (src/kernels/lines.ts DigitRows), which
 * gives each scale's exact sum and count; every other row is read here, cell by cell (readItems).
 * Both give the same values, scores and statuses (test/scoring/batch.test.ts).
 */
import { DigitRows } from '../kernels/lines.js';
import { FastBatch, FastRecord } from '../input/csv-batch.js';
import type { RecordBatch, Row } from '../input/records.js';
import type { ScoringPlan } from './plan.js';
import { parseResponse, type ResponseProblemCode } from './response.js';
import { INVALID, OK, PRORATED, reverseKey, scaleScore, scaleState } from './rules.js';

export interface ItemProblem {
  itemId: string;
  column: string;
  value: string;
  code: ResponseProblemCode;
  message: string;
}

/** What a row's items are: reverse-keyed values (NaN when missing or invalid), which were invalid, how many answered. */
export interface ItemValues {
  values: Float64Array;
  invalid: Uint8Array;
  answered: number;
  problems: readonly ItemProblem[];
}

export const NO_PROBLEMS: readonly ItemProblem[] = Object.freeze([]);

export function newItemValues(plan: ScoringPlan): ItemValues {
  const n = plan.columns.length;
  return { values: new Float64Array(n), invalid: new Uint8Array(n), answered: 0, problems: NO_PROBLEMS };
}

/**
 * Reads an instrument's items from one row (cell by cell), into `out` (overwritten, so a row costs
 * no allocation). A cell is read as a plain number from its bytes where it is one, else as text
 * (labels, problems).
 */
export function readItems(plan: ScoringPlan, row: Row, out: ItemValues = newItemValues(plan)): ItemValues {
  const n = plan.columns.length;
  const { values, invalid } = out;
  const { min, max } = plan.parser.scale;
  if (plan.digits && row instanceof FastRecord) {
    // The common row: every cell one digit or empty.
    const answered = row.digits(plan.digits.columns, plan.digits.reverse, min, max, values, invalid);
    if (answered >= 0) {
      out.answered = answered;
      out.problems = NO_PROBLEMS;
      return out;
    }
  }
  let problems: ItemProblem[] | undefined;
  let answered = 0;
  const dc = plan.parser.decimalComma;
  const continuous = plan.parser.scale.continuous === true;
  const { columns, reverse } = plan;
  for (let i = 0; i < n; i++) {
    const col = columns[i]!;
    const number = row.number(col, dc);
    invalid[i] = 0;
    if (number === number && number >= min && number <= max && (continuous || Number.isInteger(number))) {
      // A valid plain number read from the bytes: the common case, without allocating.
      values[i] = reverse[i] ? min + max - number : number;
      answered++;
      continue;
    }
    const raw = row.text(col);
    const parsed = parseResponse(raw, plan.parser);
    if (parsed.kind === 'value') {
      values[i] = reverse[i] ? reverseKey(parsed.value, plan.parser.scale) : parsed.value;
      answered++;
    } else {
      values[i] = Number.NaN;
      if (parsed.kind === 'problem') {
        invalid[i] = 1;
        (problems ??= []).push({ itemId: plan.instrument.items[i]!.id, column: row.sourceColumn?.(col) ?? plan.columnNames[i]!, value: raw, code: parsed.code, message: parsed.message });
      }
    }
  }
  out.answered = answered;
  out.problems = problems ?? NO_PROBLEMS;
  return out;
}

/**
 * Scale k of a row from its item values: the score into scales[at + k] (NaN for none); returns the
 * scale's state.
 */
function scoreScale(plan: ScoringPlan, items: ItemValues, k: number, scales: Float64Array, at: number): number {
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
  scales[at + k] = state <= PRORATED ? scaleScore(sum, n, idx.length, sc.method) : Number.NaN;
  return state;
}

/** One instrument's results for the records of a batch (arrays reused from batch to batch). */
export interface PlanScores {
  readonly plan: ScoringPlan;
  /** Records in the batch. */
  n: number;
  /** Each record's status, as an index into STATUSES (when scales are computed). */
  status: Uint8Array;
  /** Items with a valid answer. */
  answered: Int32Array;
  /** Record j's scale s at [j · scales + s]; NaN where the scale has no score (when asked for). */
  scales: Float64Array;
  /** Record j's item i at [j · items + i], reverse-keyed, NaN when missing or invalid; only when asked for. */
  values: Float64Array;
  /** Record j's problems (NO_PROBLEMS for most). */
  problems: Array<readonly ItemProblem[]>;
  /** How many problems the batch has. */
  problemCount: number;
}

const grow = <T extends Float64Array | Int32Array | Uint8Array>(a: T, n: number, make: (n: number) => T): T => (a.length >= n ? a : make(Math.max(n, 2 * a.length)));

/** What the consumers of a run need of an instrument: item values, scale scores (and statuses), or both. */
export interface ScoreNeeds {
  values: boolean;
  scales: boolean;
}

/** Scores batches for one instrument, computing what `needs` asks for (problems always). */
export class BatchScorer {
  readonly out: PlanScores;
  private readonly digitRows: DigitRows | undefined;
  private readonly scratch: ItemValues;
  private readonly wantValues: boolean;
  /** The values buffer of the scorer's own (when no consumer lends one). */
  private ownValues = new Float64Array(0);
  private readonly wantScales: boolean;

  constructor(
    readonly plan: ScoringPlan,
    needs: ScoreNeeds,
  ) {
    this.wantValues = needs.values;
    this.wantScales = needs.scales;
    this.out = { plan, n: 0, status: new Uint8Array(0), answered: new Int32Array(0), scales: new Float64Array(0), values: new Float64Array(0), problems: [], problemCount: 0 };
    const { min, max } = plan.parser.scale;
    // Without scales, the kernel need not sum them (reliability uses the values alone).
    this.digitRows = plan.digits
      ? new DigitRows({ columns: plan.digits.columns, reverse: plan.digits.reverse, min, max, scales: needs.scales ? plan.scales.map((s) => Int32Array.from(s.items)) : [] }, needs.values)
      : undefined;
    this.scratch = newItemValues(plan);
  }

  /**
   * Scores a batch. `valuesInto`, when given, is where the item values go (at least n × items
   * long): a consumer's own buffer, such as the moment kernel's memory, saves a copy.
   */
  score(batch: RecordBatch, valuesInto?: Float64Array): PlanScores {
    const { plan, out, wantValues, wantScales, scratch } = this;
    const n = batch.length;
    const ni = plan.columns.length;
    const ns = plan.scales.length;
    out.n = n;
    out.status = grow(out.status, n, (m) => new Uint8Array(m));
    out.answered = grow(out.answered, n, (m) => new Int32Array(m));
    if (wantScales) out.scales = grow(out.scales, n * ns, (m) => new Float64Array(m));
    if (wantValues) out.values = valuesInto ?? grow(out.values === this.ownValues ? out.values : (this.ownValues = new Float64Array(0)), n * ni, (m) => (this.ownValues = new Float64Array(m)));
    out.problems.length = n;
    out.problemCount = 0;
    const { status, answered, scales, values, problems } = out;
    const digits = this.digitRows;
    // The kernel writes the values of the rows it reads straight into out.values.
    if (digits && wantValues) digits.values = values;
    const read = digits !== undefined && batch instanceof FastBatch && digits.read(batch) ? digits : undefined;
    for (let j = 0; j < n; j++) {
      const at = j * ns;
      if (read !== undefined && read.answered[j]! >= 0) {
        // Exact sums and counts of whole answers: the scores readItems would give.
        let worst = OK;
        for (let k = 0, s = 2 * at; wantScales && k < ns; k++, s += 2) {
          const sc = plan.scales[k]!;
          const len = sc.items.length;
          const count = read.sums[s + 1]!;
          const state = scaleState(count, len, false, sc.maxMissing);
          scales[at + k] = state <= PRORATED ? scaleScore(read.sums[s]!, count, len, sc.method) : Number.NaN;
          if (state > worst) worst = state;
        }
        status[j] = worst;
        answered[j] = read.answered[j]!;
        problems[j] = NO_PROBLEMS;
        continue;
      }
      const items = readItems(plan, batch.at(j), scratch);
      let worst = items.problems.length > 0 ? INVALID : OK;
      for (let k = 0; wantScales && k < ns; k++) {
        const state = scoreScale(plan, items, k, scales, at);
        if (state > worst) worst = state;
      }
      status[j] = worst;
      answered[j] = items.answered;
      problems[j] = items.problems;
      out.problemCount += items.problems.length;
      if (wantValues) values.set(items.values.subarray(0, ni), j * ni);
    }
    return out;
  }
}

/** A batch as the consumers of a run get it: its records, and each instrument's scores (in -i order). Valid until the next batch. */
export interface ScoredBatch {
  records: RecordBatch;
  length: number;
  scores: readonly PlanScores[];
}

/**
 * What takes the scored batches of a run (src/pipeline/pass.ts): a writer, an accumulator, a
 * table. It says what it needs of instrument k's scores; the scorer computes nothing no one reads.
 */
export interface Consumer extends Partial<LendsValues> {
  needs?(k: number): Partial<ScoreNeeds>;
  /** Called before the batch is scored, with its length (a consumer may prepare buffers). */
  prepare?(n: number): void;
  add(batch: ScoredBatch): void | Promise<void>;
}

/**
 * A consumer that holds the memory its values should end up in may lend it: the scorer writes
 * instrument k's item values for the batch's n records there instead of into its own buffer.
 */
export interface LendsValues {
  valuesBuffer(k: number, n: number): Float64Array | undefined;
}
