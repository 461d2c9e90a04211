/**
 * `rapport trajectories` as a job: read administrations (scoring them with an instrument, or
 * taking an already-scored column), then analyse them (src/trajectory). One pass over the file;
 * the administrations (and, when the RCI's reliability must be estimated, each row's item values)
 * are kept in memory.
 */
import type { Readable } from 'node:stream';
import type { ReadOptions } from '../io/table.js';
import { inputError, usageError } from '../errors.js';
import type { LoadedInstrument, Scale } from '../instrument/types.js';
import type { ColumnMap } from '../scoring/columns.js';
import { parseDecimal } from '../scoring/response.js';
import { digitRowsFor, digitScaleScore, type ItemValues, newItemValues, readItems, scaleScoreOf, type ScoringPlan } from '../scoring/score.js';
import { RowStore, type RowStoreData } from '../stats/item-matrix.js';
import { rawAlphaOf } from '../stats/alpha.js';
import { analyseTrajectories, type TrajectoryResult } from '../trajectory/analyse.js';
import type { RuptureMethod } from '../trajectory/ruptures.js';
import { type AdminColumns, AdminTable } from '../trajectory/table.js';
import { findColumn, type InputHooks, prepareInput } from './prepare.js';
import type { CsvRecord, RecordBatch } from '../io/csv-read.js';
import { collectInParts, type PartInput, partInput, partPlans, planSplit, type RunningPart } from '../parallel/parts.js';
import { cellText, type DigitRows, FastRecord, RepeatedCell } from '../io/fast-csv.js';
import { type Preset, readSession, resolveRoles, type SessionSource } from '../io/presets.js';
import type { SkippedRow } from '../io/table.js';

export interface TrajectoryJobOptions extends TrajectoryParams {
  input: string;
  hooks?: InputHooks;
  read?: ReadOptions;
  instrument?: LoadedInstrument;
  scale?: string;
  scoreColumn?: string;
  higherIsBetter?: boolean;
  map?: ColumnMap;
  outputs: Array<{ option: string; path: string | undefined }>;
  /** Read a large file in two parts at once (src/parallel): 1 never; default 2 for files of 32 MB or more on 2+ cores. */
  threads?: number;
}

/** What trajectories takes besides the measure (shared with the report job). */
export interface TrajectoryParams {
  /** Column names; undefined: client_id / session / therapist_id, or the preset's conventions. */
  client?: string;
  session?: string;
  therapist?: string;
  preset?: Preset;
  eventMap?: Record<string, number>;
  reliability?: number;
  sd?: number;
  suddenGainCutoff?: number;
  cutoff?: number;
  /** The rupture criterion (default gumz); ruptures are looked for only in alliance measures. */
  ruptureMethod?: RuptureMethod;
  repairWindow: number;
  /** With --score-column: look for alliance ruptures (the column is an alliance measure). */
  ruptures?: boolean;
  /**
   * When alpha at the first administrations is not a usable reliability (not computable, or ≤ 0):
   * 'error' stops with RELIABILITY_UNUSABLE (trajectories), 'omit' leaves the RCI out with a loud
   * warning (report, which cannot take one --reliability per measure).
   */
  unusableReliability?: 'error' | 'omit';
}

/** Fewer first administrations than this make alpha for the RCI too imprecise to use without a loud warning. */
export const MIN_RELIABILITY_CLIENTS = 30;

export interface RowProblem {
  line: number;
  column: string;
  value: string;
  code: string;
  message: string;
}

export interface TrajectoryReport {
  input: string;
  rows: number;
  measure: string;
  higherIsBetter: boolean;
  columns: { client: string; session: string; therapist: string | null };
  preset?: Preset;
  /** REDCap base rows (no repeat instance): read for the therapist, not administrations. */
  baseRows: number;
  /** Rows skipped before the data (Qualtrics header rows). */
  skipped: SkippedRow[];
  clinicalCutoff: number | null;
  cutoffIsClinical: boolean;
  /** A loud warning about the RCI's reliability (too few clients, or none usable), else null. */
  reliabilityWarning: string | null;
  result: TrajectoryResult;
  problems: RowProblem[];
  /** How many parts the file was read in at once (2 for a large file on 2+ cores; src/parallel). */
  parts: number;
  parameters: Record<string, unknown>;
}


/** What a trajectories folder written by rapport before manifests holds (it is replaced like one with a manifest). */
export const LEGACY_TRAJECTORIES = {
  required: ['trajectories.csv', 'events.csv', 'therapists.csv', 'cohort.json'],
  allowed: (p: string) => /^((trajectories|events|therapists|problems)\.csv|cohort\.json)$/.test(p),
};

/** The scale to follow: --scale, else `total`, else the instrument's only scale. */
export function chooseScale(scales: readonly Scale[], wanted: string | undefined, instrumentId: string): Scale {
  const list = scales.map((s) => s.id).join(', ');
  if (wanted !== undefined) {
    const s = scales.find((x) => x.id === wanted);
    if (!s) throw usageError('SCALE_UNKNOWN', `${instrumentId} has no scale "${wanted}"`, `its scales are ${list}`);
    return s;
  }
  const total = scales.find((s) => s.id === 'total') ?? (scales.length === 1 ? scales[0] : undefined);
  if (!total) throw usageError('SCALE_REQUIRED', `${instrumentId} has no "total" scale: choose one with --scale`, `its scales are ${list}`);
  return total;
}

/** Where a row's parts are, and what to keep of it: the same on both threads. Cloneable. */
interface AdminSetup {
  roles: { client: number; session: SessionSource; therapist: number };
  /** --score-column's index, or −1 when scoring items. */
  scoreCol: number;
  scaleIndex: number;
  /** Item positions of the followed scale (kept per row for alpha at the first administrations). */
  scaleItems: number[];
  needAlpha: boolean;
  smallItems: boolean;
}

/**
 * The pass over rows: each row's administration (client, session, score, therapist, line), the
 * scale's items when alpha must be estimated, row problems, and REDCap base rows' therapists.
 */
class AdminCollector {
  /** The administrations, column by column (src/trajectory/table.ts). */
  readonly admins = new AdminTable();
  /** The scale's items of every administration (row i = administration i), for alpha at the first ones. */
  readonly itemValues: RowStore;
  readonly problems: RowProblem[] = [];
  readonly baseTherapist = new Map<string, string>();
  baseRows = 0;
  rows = 0;
  private readonly scratch: ItemValues | undefined;
  /** The plan's batch reader for one-digit answers (src/io/fast-csv.ts DigitRows), if it has one. */
  private readonly digitRows: DigitRows | undefined;
  // Ids repeat row after row in a long file: their strings are reused while the bytes are the same.
  private readonly clientCell: RepeatedCell;
  private readonly therapistCell: RepeatedCell | undefined;
  /** The row being read, and readers of its cells made once (not two closures a row). */
  private record: CsvRecord | undefined;
  private readonly cell = (i: number): string => cellText(this.record!, i);
  private readonly number = (i: number): number => (this.record as FastRecord).number(i, false);

  constructor(
    private readonly header: readonly string[],
    private readonly decimalComma: boolean,
    private readonly plan: ScoringPlan | undefined,
    private readonly setup: AdminSetup,
  ) {
    this.itemValues = new RowStore(setup.scaleItems.length, setup.smallItems);
    this.scratch = plan ? newItemValues(plan) : undefined;
    this.digitRows = plan ? digitRowsFor(plan, setup.needAlpha) : undefined;
    this.clientCell = new RepeatedCell(setup.roles.client);
    this.therapistCell = setup.roles.therapist >= 0 ? new RepeatedCell(setup.roles.therapist) : undefined;
  }

  add(batch: RecordBatch): void {
    const { header, plan, admins, problems, clientCell, therapistCell } = this;
    const { roles, scoreCol, scaleIndex, scaleItems, needAlpha } = this.setup;
    const sessionCol = roles.session.index;
    const rows = this.digitRows?.read(batch) === true ? this.digitRows : undefined;
    for (let j = 0; j < batch.length; j++) {
      const record = batch.at(j);
      this.rows++;
      // Only these few cells are decoded; on the fast path the rest stay bytes.
      this.record = record;
      const client = clientCell.get(record).trim();
      if (client === '') {
        problems.push({ line: record.line, column: header[roles.client]!, value: '', code: 'CLIENT_MISSING', message: 'no client id: the row is left out' });
        continue;
      }
      const session = readSession(this.cell, roles.session, record instanceof FastRecord ? this.number : undefined);
      if (!session.ok) {
        if (session.base) {
          this.baseRows++;
          const t = therapistCell ? therapistCell.get(record).trim() : '';
          if (t !== '') this.baseTherapist.set(client, t);
        } else problems.push({ line: record.line, column: header[sessionCol]!, value: session.value, code: session.code, message: session.message });
        continue;
      }
      let score: number | null = null;
      if (plan && rows !== undefined && rows.answered[j]! >= 0) {
        // Read with the batch: one-digit answers, no problems.
        score = digitScaleScore(plan, rows, j, scaleIndex);
        if (needAlpha) this.itemValues.push(rows.values, scaleItems, j * plan.columns.length);
      } else if (plan) {
        const items = readItems(plan, record, this.scratch);
        score = scaleScoreOf(plan, items, scaleIndex);
        for (const p of items.problems) problems.push({ line: record.line, column: p.column, value: p.value, code: p.code, message: p.message });
        if (needAlpha) this.itemValues.push(items.values, scaleItems);
      } else {
        const raw = this.cell(scoreCol).trim();
        const value = parseDecimal(raw, this.decimalComma);
        if (!Number.isNaN(value)) score = value;
        else if (raw !== '') problems.push({ line: record.line, column: header[scoreCol]!, value: raw, code: 'SCORE_NOT_NUMERIC', message: `"${raw}" is not a number: the administration has no score` });
      }
      admins.push(client, session.session, score, therapistCell ? therapistCell.get(record).trim() : '', record.line);
    }
  }

  /** What a worker hands back: the administrations' columns (a few typed arrays clone far faster than objects). */
  result(): AdminPartResult {
    return {
      admins: this.admins.columns(),
      items: this.itemValues.slice(),
      problems: this.problems,
      baseTherapist: [...this.baseTherapist],
      baseRows: this.baseRows,
      rows: this.rows,
    };
  }

  /** Adds the rows of a later part of the file, after this part's. */
  merge(o: AdminPartResult): void {
    this.admins.append(o.admins);
    this.itemValues.append(o.items);
    for (const p of o.problems) this.problems.push(p);
    for (const [c, t] of o.baseTherapist) this.baseTherapist.set(c, t);
    this.baseRows += o.baseRows;
    this.rows += o.rows;
  }
}

/** What a worker thread needs to read administrations from the second part of a file (src/parallel). */
export interface AdminPartArgs extends PartInput {
  setup: AdminSetup;
}

export interface AdminPartResult {
  admins: AdminColumns;
  items: RowStoreData;
  problems: RowProblem[];
  baseTherapist: Array<[string, string]>;
  baseRows: number;
  rows: number;
}

/** The worker's side: the administrations of its part's rows. */
export async function adminPart(args: AdminPartArgs, batches: AsyncIterable<RecordBatch>): Promise<AdminPartResult> {
  const collector = new AdminCollector(args.header, args.decimalComma, partPlans(args)[0], args.setup);
  for await (const batch of batches) collector.add(batch);
  return collector.result();
}

export async function runTrajectoryJob(opts: TrajectoryJobOptions, stdin: Readable): Promise<TrajectoryReport> {
  const inst = opts.instrument?.instrument;
  const scale = inst ? chooseScale(inst.scales, opts.scale, inst.id) : undefined;
  const norm = inst && scale ? inst.norms?.[scale.id] : undefined;
  const higherIsBetter = inst ? inst.higherIsBetter : opts.higherIsBetter!;
  const needAlpha = opts.reliability === undefined && norm?.reliability === undefined;
  if (!inst && opts.reliability === undefined) {
    throw usageError('RELIABILITY_REQUIRED', 'with --score-column, give the reliability for the RCI with --reliability r', 'rapport cannot estimate alpha without the items; use -i <instrument> to score from items instead');
  }

  const split = opts.hooks?.transform ? undefined : await planSplit(opts.input, opts.threads, opts.read?.encoding);
  const position = { line: 0 };
  const running: { part?: RunningPart<AdminPartResult | null> } = {};
  const hooks: InputHooks | undefined = opts.hooks?.onProgress ? { ...opts.hooks, onProgress: (b) => opts.hooks!.onProgress!(b + (running.part?.bytesRead() ?? 0)) } : opts.hooks;
  const { csv, plans } = await prepareInput({ input: opts.input, instruments: opts.instrument ? [opts.instrument] : [], map: opts.map, outputs: opts.outputs, hooks, read: opts.read }, stdin, split && { end: split.at, position });
  const roles = resolveRoles(csv.header, csv.skipped, opts, (column, option) => findColumn(csv.header, column, option, csv.name));
  const sessionCol = roles.session.index;
  const scoreCol = opts.scoreColumn === undefined ? -1 : findColumn(csv.header, opts.scoreColumn, '--score-column', csv.name);
  const setup: AdminSetup = {
    roles: { client: roles.client, session: roles.session, therapist: roles.therapist },
    scoreCol,
    scaleIndex: inst && scale ? inst.scales.indexOf(scale) : -1,
    scaleItems: plans[0] && scale ? scale.items.map((id) => inst!.items.findIndex((it) => it.id === id)) : [],
    needAlpha,
    smallItems: inst !== undefined && RowStore.fitsSmall(inst.responseScale),
  };
  const collector = new AdminCollector(csv.header, csv.dialect.decimalComma, plans[0], setup);
  const args = (): AdminPartArgs => ({ ...partInput(csv, plans), setup });
  if (!(await collectInParts({ csv, split, position, task: 'trajectories', args, collector, running }))) return runTrajectoryJob({ ...opts, threads: 1 }, stdin);
  const { admins, itemValues, problems, baseTherapist, baseRows, rows } = collector;
  const scaleItems = setup.scaleItems;
  const { client: clientCol, therapist: therapistCol } = setup.roles;
  // REDCap keeps non-repeating fields (the therapist) on the record's base row.
  admins.fillTherapists(baseTherapist);

  const built = admins.buildSeries();
  // The RCI's reliability: --reliability, the instrument's norm, or alpha at each client's first valid administration.
  const warnings: string[] = [];
  let reliability: number | null | undefined = opts.reliability;
  let reliabilitySource = '--reliability';
  let reliabilityWarning: string | null = null;
  if (reliability === undefined && norm?.reliability !== undefined) {
    reliability = norm.reliability;
    reliabilitySource = `norms of ${inst!.id}/${scale!.id}${norm.source ? ` (${norm.source})` : ''}`;
  }
  if (reliability === undefined) {
    const firsts = built.series.flatMap((s) => (s.first ? [s.first.index!] : []));
    const k = scaleItems.length;
    const values = new Float64Array(firsts.length * k);
    firsts.forEach((a, r) => values.set(itemValues.row(a), r * k));
    const alpha = rawAlphaOf({ rows: firsts.length, cols: k, values });
    const n = firsts.length;
    reliabilitySource = `Cronbach's alpha (psych raw_alpha, pairwise) of the ${k} items at each client's first valid administration (n = ${n})`;
    const measure = `${inst!.id}/${scale!.id}`;
    if (!(alpha.raw > 0)) {
      const why = Number.isFinite(alpha.raw) ? `is ${alpha.raw.toFixed(3)}, not a usable reliability` : `cannot be computed (${alpha.failure ?? 'too few clients'})`;
      const message = `the RCI of ${measure} needs a reliability, and alpha at the ${n} clients' first administrations ${why}`;
      const hint = 'give a published reliability with --reliability r (with one instrument), or put it in the definition\'s norms';
      if (opts.unusableReliability !== 'omit') throw inputError('RELIABILITY_UNUSABLE', message, { hint });
      reliability = null;
      reliabilityWarning = `${message}: reliable change was NOT computed (${hint})`;
    } else {
      reliability = alpha.raw;
      if (n < MIN_RELIABILITY_CLIENTS) {
        reliabilityWarning = `the RCI of ${measure} uses alpha = ${alpha.raw.toFixed(3)} from only ${n} clients' first administrations (fewer than ${MIN_RELIABILITY_CLIENTS}): it is imprecise, and so is every reliable change; give a published reliability with --reliability r`;
      }
    }
    if (reliabilityWarning !== null) warnings.push(reliabilityWarning);
  }
  // Ruptures are alliance events: looked for in alliance measures only (and with --score-column when asked).
  const alliance = inst ? inst.construct === 'alliance' : opts.ruptures === true;
  const ruptureMethod = alliance ? opts.ruptureMethod ?? 'gumz' : null;
  if (!alliance && opts.ruptureMethod !== undefined) {
    warnings.push(`ruptures are alliance events and are looked for only in alliance measures; ${inst ? `${inst.id} is ${inst.construct === undefined ? 'not marked as one (its definition has no "construct": "alliance")' : `a measure of ${inst.construct}`}` : 'give --ruptures for an alliance score column'}: --rupture-method was ignored`);
  }
  const clinicalCutoff = opts.cutoff ?? norm?.cutoff;
  const cutoffIsClinical = opts.cutoff !== undefined ? true : norm?.cutoffIsClinical ?? true;
  const result = analyseTrajectories(admins, {
    higherIsBetter,
    ...(opts.sd === undefined ? {} : { sd: opts.sd }),
    reliability,
    reliabilitySource,
    ...(opts.suddenGainCutoff === undefined ? {} : { suddenGainCutoff: opts.suddenGainCutoff }),
    ...(clinicalCutoff === undefined ? {} : { clinicalCutoff }),
    cutoffIsClinical,
    ruptureMethod,
    repairWindow: opts.repairWindow,
  }, built);
  result.warnings.unshift(...warnings);
  for (const d of result.duplicates) {
    for (const line of d.lines) {
      problems.push({ line, column: csv.header[sessionCol]!, value: String(d.session), code: 'DUPLICATE_SESSION', message: `client ${d.client} has session ${d.session} on lines ${d.lines.join(' and ')}: all are left out of the series` });
    }
  }
  problems.sort((a, b) => a.line - b.line);
  const measure = inst ? `${inst.id}/${scale!.id}` : csv.header[scoreCol]!;
  return {
    input: csv.name,
    rows,
    measure,
    higherIsBetter,
    columns: { client: csv.header[clientCol]!, session: csv.header[sessionCol]!, therapist: therapistCol >= 0 ? csv.header[therapistCol]! : null },
    ...(roles.preset ? { preset: roles.preset } : {}),
    baseRows,
    skipped: csv.skipped,
    clinicalCutoff: clinicalCutoff ?? null,
    cutoffIsClinical,
    reliabilityWarning,
    result,
    problems,
    parts: running.part ? 2 : 1,
    parameters: {
      measure,
      instrument: inst?.id ?? null,
      scale: scale?.id ?? null,
      score_column: opts.scoreColumn ?? null,
      higher_is_better: higherIsBetter,
      client_column: csv.header[clientCol],
      session_column: csv.header[sessionCol],
      session_from: roles.session.kind === 'column' ? 'column' : roles.session.kind === 'redcap-instance' ? 'REDCap repeat instance' : roles.session.map ? 'REDCap event name via --event-map' : 'REDCap event name (its number)',
      preset: roles.preset ?? null,
      therapist_column: therapistCol >= 0 ? csv.header[therapistCol] : null,
      rci_z: 1.96,
      ruptures: alliance ? 'looked for (an alliance measure)' : `not looked for: ${inst ? `${inst.id} is not an alliance measure` : 'the score column was not declared an alliance measure (--ruptures)'}`,
      rupture_method: ruptureMethod,
      repair_window: alliance ? opts.repairWindow : null,
      clinical_cutoff: clinicalCutoff ?? null,
      cutoff_is_clinical: clinicalCutoff === undefined ? null : cutoffIsClinical,
      sudden_gain_pct: 0.25,
      sudden_gain_alpha: 0.05,
      session_grid: result.cohort.sessionGrid,
    },
  };
}
