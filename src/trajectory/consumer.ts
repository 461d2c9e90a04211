/**
 * A trajectory measure's consumer of a run (src/pipeline/pass.ts): each row's administration
 * (client, session, score of the followed scale or of a score column, therapist, line) into an
 * AdminTable; the scale's item values when alpha at the first administrations must be estimated;
 * the row problems (no client, a session that is not a whole number, the measure's invalid
 * answers); and REDCap base rows' therapists. One consumer per measure followed.
 */
import { RepeatedCell } from '../input/csv-batch.js';
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

/** Where a measure's parts are in each row. */
export interface MeasureSource {
  roles: ColumnRoles;
  /** The instrument's index among the run's instruments (its scores), or -1 with a score column. */
  plan: number;
  /** --score-column's index, or −1 when scoring items. */
  scoreColumn: number;
  /** The followed scale's index among the instrument's scales. */
  scale: number;
  /** Item positions of the followed scale (kept per row for alpha at the first administrations). */
  scaleItems: number[];
  /** Keep the scale's items of every administration (the RCI's reliability must be estimated). */
  needAlpha: boolean;
  decimalComma: boolean;
}

export class TrajectoryConsumer {
  readonly admins = new AdminTable();
  /** The scale's items of every administration (row i = administration i), for alpha at the first ones. */
  readonly itemValues: RowStore;
  readonly problems: RowProblem[] = [];
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
    private readonly plan: ScoringPlan | undefined,
    private readonly source: MeasureSource,
  ) {
    this.itemValues = new RowStore(source.scaleItems.length, plan !== undefined && RowStore.fitsSmall(plan.instrument.responseScale));
    this.clientCell = new RepeatedCell(source.roles.client);
    this.therapistCell = source.roles.therapist >= 0 ? new RepeatedCell(source.roles.therapist) : undefined;
  }

  needs(k: number): { scales?: boolean; values?: boolean } {
    return k === this.source.plan ? { scales: true, values: this.source.needAlpha } : {};
  }

  add(batch: ScoredBatch): void {
    const { header, plan, admins, problems, clientCell, therapistCell } = this;
    const { roles, scoreColumn, scale, scaleItems, needAlpha, decimalComma } = this.source;
    const ps = plan ? batch.scores[this.source.plan]! : undefined;
    const ns = plan ? plan.scales.length : 0;
    const ni = plan ? plan.columns.length : 0;
    const sessionCol = roles.session.index;
    for (let j = 0; j < batch.length; j++) {
      const record = batch.records.at(j);
      this.rows++;
      this.record = record;
      const client = clientCell.get(record).trim();
      if (client === '') {
        problems.push({ line: record.line, column: header[roles.client]!, value: '', code: 'CLIENT_MISSING', message: 'no client id: the row is left out' });
        continue;
      }
      const session = readSession(this.cell, roles.session, this.number);
      if (!session.ok) {
        if (session.base) {
          this.baseRows++;
          const t = therapistCell ? therapistCell.get(record).trim() : '';
          if (t !== '') this.baseTherapist.set(client, t);
        } else problems.push({ line: record.line, column: header[sessionCol]!, value: session.value, code: session.code, message: session.message });
        continue;
      }
      let score: number | null = null;
      if (ps) {
        const v = ps.scales[j * ns + scale]!;
        if (v === v) score = v;
        for (const p of ps.problems[j]!) problems.push({ line: record.line, column: p.column, value: p.value, code: p.code, message: p.message });
        if (needAlpha) this.itemValues.push(ps.values, scaleItems, j * ni);
      } else {
        const raw = record.text(scoreColumn).trim();
        const value = parsePlainNumber(raw, decimalComma);
        if (!Number.isNaN(value)) score = value;
        else if (raw !== '') problems.push({ line: record.line, column: header[scoreColumn]!, value: raw, code: 'SCORE_NOT_NUMERIC', message: `"${raw}" is not a number: the administration has no score` });
      }
      admins.push(client, session.session, score, therapistCell ? therapistCell.get(record).trim() : '', record.line);
    }
  }
}
