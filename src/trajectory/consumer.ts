/**
 * The trajectory consumer of a run (src/pipeline/pass.ts): each row's administration (client,
 * session, therapist, line) read once into an AdminTable, with a score column for every measure
 * followed (an instrument's scale, or a score column); the date of each administration; each
 * measure's item values when alpha at the first administrations must be estimated, and the
 * administrations that met a critical (risk item) rule; the row problems (no client, a session that
 * is not a whole number, a date that cannot be read) and each measure's invalid answers; and REDCap
 * base rows' therapists.
 */
import { RepeatedCell } from '../input/csv-batch.js';
import { DATE_FORMATS, type DateFormat, parseDay } from '../input/dates.js';
import { inputError } from '../errors.js';
import { type ColumnRoles, readSession } from '../input/presets.js';
import { parsePlainNumber, type Row } from '../input/records.js';
import type { ScoredBatch } from '../scoring/batch.js';
import type { ScoringPlan } from '../scoring/plan.js';
import { RowStore } from '../stats/item-matrix.js';
import { AdminTable } from './table.js';

export interface RowProblem {
  line: number;
  column: string;
  value: string;
  code: string;
  message: string;
}

/** Where a measure's score is in each row. */
export interface MeasureSource {
  /** The instrument's scoring plan and its index among the run's instruments; undefined with a score column. */
  plan?: ScoringPlan;
  k: number;
  /** --score-column's index, or −1 when scoring items. */
  scoreColumn: number;
  /** The followed scale's index among the instrument's scales. */
  scale: number;
  /** Item positions of the followed scale (kept per row for alpha at the first administrations). */
  scaleItems: Int32Array;
  /** Keep the scale's items of every administration (the RCI's reliability must be estimated). */
  needAlpha: boolean;
}

/** An administration whose answer to a risk item met the instrument's critical rule. */
export interface CriticalHit {
  /** The administration (its index in the table). */
  admin: number;
  /** The rule (its index in the instrument's `critical`). */
  rule: number;
  /** The answer as given (before reverse keying). */
  value: number;
}

/** What the consumer collected for one measure. */
export interface MeasureRows {
  /** The scale's items of every administration (row i = administration i), for alpha at the first ones. */
  itemValues: RowStore;
  /** The measure's invalid answers, or its score column's cells that are not numbers. */
  problems: RowProblem[];
  /** Administrations that met one of the instrument's critical rules. */
  critical: CriticalHit[];
}

/** A critical rule ready to apply to the scorer's item values (which are reverse-keyed). */
interface CriticalCheck {
  rule: number;
  item: number;
  threshold: number;
  /** min + max for a reverse-keyed item (its answer is min + max − value), else 0. */
  unreverse: number;
}

/** Dates that are not in the form given (or ISO by default): what the first one looks like, and the option to give. */
function dateFormatNeeded(column: string, value: string, line: number, format: DateFormat = 'iso') {
  const fits = (['dmy', 'mdy'] as const).filter((f) => f !== format && parseDay(value, f) === parseDay(value, f));
  return inputError('DATE_FORMAT_NEEDED', `the sessions are numbered by the dates in ${column}, and "${value}" is not a date as ${DATE_FORMATS[format]}`, {
    location: { line, column },
    hint: fits.length > 0 ? `give the form with --date-format ${fits.join(' or --date-format ')} (${fits.map((f) => DATE_FORMATS[f]).join('; ')})` : 'write the dates as YYYY-MM-DD, DD/MM/YYYY (--date-format dmy) or MM/DD/YYYY (--date-format mdy)',
  });
}

export class TrajectoryConsumer {
  readonly admins: AdminTable;
  readonly measures: MeasureRows[];
  /** Rows left out before any measure (no client, no session), and dates that could not be read. */
  readonly rowProblems: RowProblem[] = [];
  private readonly dateCell: RepeatedCell | undefined;
  /** The cell of the date that numbers the sessions (--session-order date, or a --session column of dates). */
  private dateSessionCell: RepeatedCell;
  private settled = false;
  private readonly checks: CriticalCheck[][];
  readonly baseTherapist = new Map<string, string>();
  baseRows = 0;
  rows = 0;
  // Ids repeat row after row in a long file: their strings are reused while the bytes are the same.
  private readonly clientCell: RepeatedCell;
  private readonly therapistCell: RepeatedCell | undefined;
  /** The row being read, and readers of its cells made once (not two closures a row). */
  private record: Row | undefined;
  private readonly cell = (i: number): string => this.record!.text(i);
  private readonly number = (i: number): number => this.record!.number(i, false);

  constructor(
    private readonly header: readonly string[],
    readonly roles: ColumnRoles,
    private readonly sources: readonly MeasureSource[],
    private readonly decimalComma: boolean,
  ) {
    this.admins = new AdminTable(sources.length);
    this.measures = sources.map((m) => ({
      itemValues: new RowStore(m.scaleItems.length, m.plan === undefined ? 'double' : RowStore.kindFor(m.plan.instrument.responseScale)),
      problems: [],
      critical: [],
    }));
    this.checks = sources.map((m) => {
      const inst = m.plan?.instrument;
      if (!inst) return [];
      const { min, max } = inst.responseScale;
      return (inst.critical ?? []).map((c, rule) => {
        const item = inst.items.findIndex((it) => it.id === c.item);
        return { rule, item, threshold: c.threshold, unreverse: inst.items[item]!.reverse ? min + max : 0 };
      });
    });
    this.dateCell = roles.date >= 0 && roles.session.kind !== 'date-order' ? new RepeatedCell(roles.date) : undefined;
    this.dateSessionCell = new RepeatedCell(roles.session.index);
    this.clientCell = new RepeatedCell(roles.client);
    this.therapistCell = roles.therapist >= 0 ? new RepeatedCell(roles.therapist) : undefined;
  }

  /** After the pass: sessions numbered by date, when they are (idempotent). */
  settle(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.roles.session.kind !== 'date-order') return;
    if (this.admins.length === 0 && this.rows > 0) {
      const bad = this.rowProblems.find((p) => p.code === 'DATE_INVALID');
      if (bad) throw dateFormatNeeded(bad.column, bad.value, bad.line, this.roles.dateFormat);
    }
    this.admins.numberSessionsByDate();
  }

  needs(k: number): { scales?: boolean; values?: boolean } {
    const mine = this.sources.flatMap((m, i) => (m.plan !== undefined && m.k === k ? [i] : []));
    return mine.length > 0 ? { scales: true, values: mine.some((i) => this.sources[i]!.needAlpha || this.checks[i]!.length > 0) } : {};
  }

  add(batch: ScoredBatch): void {
    const { header, admins, rowProblems, clientCell, therapistCell, dateCell, roles } = this;
    const sessionCol = roles.session.index;
    const column = roles.session.kind === 'column' ? sessionCol : -1;
    for (let j = 0; j < batch.length; j++) {
      const record = batch.records.at(j);
      this.rows++;
      this.record = record;
      const client = clientCell.get(record).trim();
      if (client === '') {
        rowProblems.push({ line: record.line, column: header[roles.client]!, value: '', code: 'CLIENT_MISSING', message: 'no client id: the row is left out' });
        continue;
      }
      // A --session column of dates (seen on its first row) orders sessions by date, as --session-order date does.
      if (this.rows === 1 && roles.session.kind === 'column') {
        const first = record.text(sessionCol).trim();
        if (!/^[+-]?\d+(\.0*)?$/.test(first)) {
          if (parseDay(first, roles.dateFormat) === parseDay(first, roles.dateFormat)) {
            roles.session = { kind: 'date-order', index: sessionCol, name: roles.session.name };
            this.dateSessionCell = new RepeatedCell(sessionCol);
          } else if (roles.dateFormat === 'iso' && (parseDay(first, 'dmy') === parseDay(first, 'dmy') || parseDay(first, 'mdy') === parseDay(first, 'mdy'))) {
            throw dateFormatNeeded(header[sessionCol]!, first, record.line);
          }
        }
      }
      if (roles.session.kind === 'date-order') {
        const text = this.dateSessionCell.get(record).trim();
        const day = parseDay(text, roles.dateFormat);
        if (day !== day) {
          rowProblems.push({ line: record.line, column: header[roles.session.index]!, value: text, code: text === '' ? 'SESSION_DATE_MISSING' : 'DATE_INVALID', message: text === '' ? 'no date, and sessions are numbered by date: the row is left out' : `"${text}" is not a date as ${DATE_FORMATS[roles.dateFormat]}: sessions are numbered by date, so the row is left out (--date-format sets the form)` });
          continue;
        }
        const i = admins.push(client, Number.NaN, therapistCell ? therapistCell.get(record).trim() : '', record.line);
        admins.setDay(i, day);
        this.addScores(batch, j, record, i);
        continue;
      }
      // The usual session cell, a whole number, read without the general rules' result object.
      let session = column >= 0 ? record.number(column, false) : Number.NaN;
      if (!Number.isInteger(session)) {
        const read = readSession(this.cell, roles.session, this.number);
        if (!read.ok) {
          if (read.base) {
            this.baseRows++;
            const t = therapistCell ? therapistCell.get(record).trim() : '';
            if (t !== '') this.baseTherapist.set(client, t);
          } else rowProblems.push({ line: record.line, column: header[sessionCol]!, value: read.value, code: read.code, message: read.message });
          continue;
        }
        session = read.session;
      }
      const i = admins.push(client, session, therapistCell ? therapistCell.get(record).trim() : '', record.line);
      if (dateCell) {
        const text = dateCell.get(record).trim();
        if (text !== '') {
          const day = parseDay(text, roles.dateFormat);
          if (day === day) admins.setDay(i, day);
          else rowProblems.push({ line: record.line, column: header[roles.date]!, value: text, code: 'DATE_INVALID', message: `"${text}" is not a date as ${DATE_FORMATS[roles.dateFormat]}: the administration is kept, without a date (--date-format sets the form)` });
        }
      }
      this.addScores(batch, j, record, i);
    }
  }

  /** Each measure's score (and problems, item values, risk answers) of row j, administration i. */
  private addScores(batch: ScoredBatch, j: number, record: Row, i: number): void {
    const { header, admins, sources, measures, checks } = this;
    {
      for (let m = 0; m < sources.length; m++) {
        const src = sources[m]!;
        const out = measures[m]!;
        if (src.plan) {
          const ps = batch.scores[src.k]!;
          const ns = src.plan.scales.length;
          const v = ps.scales[j * ns + src.scale]!;
          if (v === v) admins.scores[m]![i] = v;
          for (const p of ps.problems[j]!) out.problems.push({ line: record.line, column: p.column, value: p.value, code: p.code, message: p.message });
          if (src.needAlpha) out.itemValues.pushValues(ps.values, src.scaleItems, j * src.plan.columns.length);
          for (const c of checks[m]!) {
            const v = ps.values[j * src.plan.columns.length + c.item]!;
            const answer = c.unreverse === 0 ? v : c.unreverse - v;
            if (answer >= c.threshold) out.critical.push({ admin: i, rule: c.rule, value: answer });
          }
        } else {
          const raw = record.text(src.scoreColumn).trim();
          const value = parsePlainNumber(raw, this.decimalComma);
          if (!Number.isNaN(value)) admins.scores[m]![i] = value;
          else if (raw !== '') out.problems.push({ line: record.line, column: header[src.scoreColumn]!, value: raw, code: 'SCORE_NOT_NUMERIC', message: `"${raw}" is not a number: the administration has no score` });
        }
      }
    }
  }
}
