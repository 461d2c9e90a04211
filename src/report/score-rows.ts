/**
 * The rows `rapport score` writes: every input column unchanged, then per instrument
 * <prefix>_<scale>…, <prefix>_answered, <prefix>_status, <prefix>_problems; and the rows of its
 * --errors file. Pure: scored batches in, bytes out (the caller writes them).
 *
 * A record of a UTF-8 comma file is copied as it was read, with its scores appended; the line
 * kernel (src/kernels/lines.ts RowAssembler) writes a batch's rows at once where it can (one
 * instrument, no problem, no cell that looks like a formula), the rest are written here. Either
 * way the bytes are the same.
 */
import { columnPrefix, type Instrument } from '../instrument/types.js';
import { FastBatch, FastRecord } from '../input/csv-batch.js';
import type { RecordBatch, Row } from '../input/records.js';
import { MAX_GROUPS, RowAssembler } from '../kernels/lines.js';
import type { ItemProblem, PlanScores } from '../scoring/batch.js';
import { type InstrumentStatus, STATUSES } from '../scoring/rules.js';
import { ByteBuilder } from './bytes.js';
import { csvField, escapeFormula, toCsv } from './csv.js';
import { formatNumber, roundTo } from './format.js';

/** The columns added for one instrument, in output order. */
export function addedColumns(instrument: Instrument): string[] {
  const p = columnPrefix(instrument.id);
  return [...instrument.scales.map((s) => `${p}_${s.id}`), `${p}_answered`, `${p}_status`, `${p}_problems`];
}

/** "wai3=7: RESPONSE_OUT_OF_RANGE; …" */
export function renderProblemsCell(problems: readonly ItemProblem[]): string {
  return problems.map((p) => `${p.column}=${p.value.trim()}: ${p.code}`).join('; ');
}

/** Header of the --errors file; one row per problem. */
export const PROBLEM_COLUMNS = ['line', 'column', 'value', 'code', 'message', 'instrument', 'item'] as const;

export function renderProblemRows(line: number, instrumentId: string, problems: readonly ItemProblem[]): string[][] {
  return problems.map((p) => [String(line), p.column, p.value, p.code, p.message, instrumentId, p.itemId]);
}

export interface InstrumentTally {
  id: string;
  counts: Record<InstrumentStatus, number>;
  problems: number;
}

/** What a batch of scored records is to the writer: the records, and each instrument's scores. */
export interface ScoredRows {
  records: RecordBatch;
  scores: readonly PlanScores[];
}

const COMMA = 0x2c;
const LF = 0x0a;
/** Distinct fractions whose text numberText remembers (continuous answers need not fill memory). */
const MAX_TEXTS = 8192;

/** Renders scored batches as score's output rows (CSV or JSON), keeping the tallies and the problem rows. */
export class ScoreRows {
  rows = 0;
  problems = 0;
  /** Rows of the last batch that the kernel wrote. */
  assembledLast = 0;
  readonly tallies: InstrumentTally[];
  readonly buffer = new ByteBuilder();
  problemRows: string[][] = [];
  /** The kernel that writes whole rows (one instrument, rows copied as read). */
  private readonly assembler: RowAssembler | undefined;
  private readonly texts = new Map<number, string>();

  constructor(
    private readonly header: readonly string[],
    private readonly instruments: readonly Instrument[],
    private readonly opts: { json: boolean; copyRaw: boolean; escape: boolean; digits: number | undefined; assemble?: boolean },
  ) {
    this.tallies = instruments.map((i) => ({ id: i.id, counts: { ok: 0, prorated: 0, incomplete: 0, invalid: 0 }, problems: 0 }));
    this.assembler = instruments.length <= MAX_GROUPS && !opts.json && opts.copyRaw && opts.assemble !== false ? new RowAssembler(instruments.map((i) => i.scales.length)) : undefined;
  }

  /** The header row (CSV), or the opening bracket (JSON). */
  head(): string {
    return this.opts.json ? '[' : toCsv([[...this.header, ...this.instruments.flatMap(addedColumns)]], this.opts.escape);
  }

  /** What ends the output (JSON's closing bracket). */
  tail(): string {
    return this.opts.json ? '\n]\n' : '';
  }

  add(batch: ScoredRows): void {
    const { records, scores } = batch;
    const n = records.length;
    // Tallies first; problem rows record by record, each record's instruments in order.
    let problems = 0;
    for (let k = 0; k < scores.length; k++) {
      const ps = scores[k]!;
      const counts = this.tallies[k]!.counts;
      for (let j = 0; j < n; j++) counts[STATUSES[ps.status[j]!]!]++;
      this.tallies[k]!.problems += ps.problemCount;
      problems += ps.problemCount;
    }
    if (problems > 0) {
      this.problems += problems;
      for (let j = 0; j < n; j++) {
        for (let k = 0; k < scores.length; k++) {
          const p = scores[k]!.problems[j]!;
          if (p.length > 0) this.problemRows.push(...renderProblemRows(records.at(j).line, this.instruments[k]!.id, p));
        }
      }
    }
    const assembler = this.assembler;
    this.assembledLast = 0;
    if (assembler !== undefined && records instanceof FastBatch && assembler.begin(records)) {
      const written = this.codeRows(records, scores, assembler);
      this.assembledLast = written;
      for (let j = 0; j < n; ) {
        j = assembler.run(j, this.copyOut);
        if (j < n) this.writeRow(records.at(j), scores, j++);
      }
      this.rows += written;
      return;
    }
    for (let j = 0; j < n; j++) this.writeRow(records.at(j), scores, j);
  }

  private readonly copyOut = (bytes: Uint8Array, start: number, end: number): void => this.buffer.copy(bytes, start, end);

  /**
   * The assembler's codes for a batch, per instrument: the status, the answered count and each
   * scale's value (a whole number, or its text as formatNumber writes it); -1 for the records
   * writeRow writes (those with problems or cells that may be formulas). Returns how many the
   * kernel will write.
   */
  private codeRows(batch: FastBatch, scores: readonly PlanScores[], assembler: RowAssembler): number {
    const { escape, digits } = this.opts;
    const { codes, codeAt, stride } = assembler;
    const n = scores[0]!.n;
    let written = 0;
    for (let j = 0, c0 = codeAt; j < n; j++, c0 += stride) {
      let own = escape && batch.formulaLike[batch.first + j] === 1;
      for (let k = 0; k < scores.length && !own; k++) own = scores[k]!.problems[j]!.length > 0;
      if (own) {
        codes[c0] = -1;
        continue;
      }
      for (let k = 0, c = c0; k < scores.length; k++) {
        const ps = scores[k]!;
        const ns = ps.plan.scales.length;
        codes[c] = ps.status[j]!;
        codes[c + 1] = ps.answered[j]!;
        for (let i = 0; i < ns; i++) {
          const v = ps.scales[j * ns + i]!;
          codes[c + 2 + i] = v !== v ? -1 : (v | 0) === v && v >= 0 ? v : assembler.string(this.numberText(v, digits));
        }
        c += ns + 2;
      }
      written++;
    }
    return written;
  }

  /**
   * formatNumber(v, digits), remembered: a prorated score is (sum / answered) × k, so a file repeats
   * a few hundred distinct fractions, each costing a shortest-round-trip conversion.
   */
  private numberText(v: number, digits: number | undefined): string {
    let text = this.texts.get(v);
    if (text === undefined) {
      text = formatNumber(v, digits);
      if (this.texts.size < MAX_TEXTS) this.texts.set(v, text);
    }
    return text;
  }

  /** Whether a row's raw bytes cannot be copied because a cell must be neutralised as a formula. */
  private mustRewrite(r: FastRecord): boolean {
    if (!this.opts.escape || !r.formulaLike) return false;
    for (let i = 0; i < r.count; i++) if (r.startsLikeFormula(i) && escapeFormula(r.text(i)) !== r.text(i)) return true;
    return false;
  }

  /** Writes record j of the batch (the general way). */
  private writeRow(record: Row, scores: readonly PlanScores[], j: number): void {
    const { buffer, instruments } = this;
    const { json, copyRaw, escape, digits } = this.opts;
    if (json) {
      const obj: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      this.header.forEach((h, i) => {
        obj[h] = record.text(i);
      });
      instruments.forEach((inst, k) => {
        const ps = scores[k]!;
        const ns = inst.scales.length;
        const p = columnPrefix(inst.id);
        inst.scales.forEach((s, i) => {
          const v = ps.scales[j * ns + i]!;
          obj[`${p}_${s.id}`] = v !== v ? null : digits === undefined ? v : roundTo(v, digits);
        });
        obj[`${p}_answered`] = ps.answered[j];
        obj[`${p}_status`] = STATUSES[ps.status[j]!];
        obj[`${p}_problems`] = ps.problems[j]!.map((q) => ({ item: q.itemId, column: q.column, value: q.value, code: q.code, message: q.message }));
      });
      buffer.text(`${this.rows === 0 ? '\n' : ',\n'}${JSON.stringify(obj)}`);
    } else if (copyRaw && record instanceof FastRecord && !this.mustRewrite(record)) {
      buffer.bytes(record.buf, record.start, record.end);
      for (const ps of scores) {
        const ns = ps.plan.scales.length;
        for (let i = 0; i < ns; i++) {
          buffer.byte(COMMA);
          const v = ps.scales[j * ns + i]!;
          if (v === v) buffer.number(v, digits);
        }
        buffer.byte(COMMA);
        buffer.number(ps.answered[j]!, undefined);
        buffer.byte(COMMA);
        buffer.ascii(STATUSES[ps.status[j]!]!);
        buffer.byte(COMMA);
        const problems = ps.problems[j]!;
        if (problems.length > 0) buffer.text(csvField(renderProblemsCell(problems), escape));
      }
      buffer.byte(LF);
    } else {
      const cells = [...record.fields];
      for (const ps of scores) {
        const ns = ps.plan.scales.length;
        for (let i = 0; i < ns; i++) cells.push(formatNumber(ps.scales[j * ns + i]!, digits));
        cells.push(String(ps.answered[j]), STATUSES[ps.status[j]!]!, renderProblemsCell(ps.problems[j]!));
      }
      buffer.text(toCsv([cells], escape));
    }
    this.rows++;
  }

  takeProblems(): string[][] {
    const rows = this.problemRows;
    this.problemRows = [];
    return rows;
  }
}
