/**
 * `rapport trajectories` as a job: read administrations (scoring them with an instrument, or
 * taking an already-scored column), then analyse them (src/trajectory). One pass over the file;
 * the administrations (and, when the RCI's reliability must be estimated, each row's item values)
 * are kept in memory.
 */
import type { Readable } from 'node:stream';
import type { ReadOptions } from '../io/table.js';
import { usageError } from '../errors.js';
import type { LoadedInstrument, Scale } from '../instrument/types.js';
import type { ColumnMap } from '../scoring/columns.js';
import { parseDecimal } from '../scoring/response.js';
import { newItemValues, readItems, scaleScoreOf } from '../scoring/score.js';
import { RowStore } from '../stats/item-matrix.js';
import { cronbachAlpha } from '../stats/alpha.js';
import { analyseTrajectories, type TrajectoryResult } from '../trajectory/analyse.js';
import type { RuptureMethod } from '../trajectory/ruptures.js';
import { type Administration, buildSeries } from '../trajectory/series.js';
import { findColumn, type InputHooks, prepareInput } from './prepare.js';
import { cellText, FastRecord, RepeatedCell } from '../io/fast-csv.js';
import { type Preset, readSession, resolveRoles, type SessionRead } from '../io/presets.js';
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
  ruptureMethod: RuptureMethod;
  repairWindow: number;
}

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
  result: TrajectoryResult;
  problems: RowProblem[];
  parameters: Record<string, unknown>;
}


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

export async function runTrajectoryJob(opts: TrajectoryJobOptions, stdin: Readable): Promise<TrajectoryReport> {
  const inst = opts.instrument?.instrument;
  const scale = inst ? chooseScale(inst.scales, opts.scale, inst.id) : undefined;
  const norm = inst && scale ? inst.norms?.[scale.id] : undefined;
  const higherIsBetter = inst ? inst.higherIsBetter : opts.higherIsBetter!;
  const needAlpha = opts.reliability === undefined && norm?.reliability === undefined;
  if (!inst && opts.reliability === undefined) {
    throw usageError('RELIABILITY_REQUIRED', 'with --score-column, give the reliability for the RCI with --reliability r', 'rapport cannot estimate alpha without the items; use -i <instrument> to score from items instead');
  }

  const { csv, plans } = await prepareInput({ input: opts.input, instruments: opts.instrument ? [opts.instrument] : [], map: opts.map, outputs: opts.outputs, hooks: opts.hooks, read: opts.read }, stdin);
  const roles = resolveRoles(csv.header, csv.skipped, opts, (column, option) => findColumn(csv.header, column, option, csv.name));
  const clientCol = roles.client;
  const sessionCol = roles.session.index;
  const therapistCol = roles.therapist;
  const scoreCol = opts.scoreColumn === undefined ? -1 : findColumn(csv.header, opts.scoreColumn, '--score-column', csv.name);
  const plan = plans[0];
  const scaleIndex = inst && scale ? inst.scales.indexOf(scale) : -1;
  const scaleItems = plan && scale ? scale.items.map((id) => inst!.items.findIndex((it) => it.id === id)) : [];

  const admins: Administration[] = [];
  // The scale's items of every administration (row i = admins[i]), for alpha at the first ones.
  const itemValues = new RowStore(scaleItems.length, inst !== undefined && RowStore.fitsSmall(inst.responseScale));
  const problems: RowProblem[] = [];
  const baseTherapist = new Map<string, string>();
  let baseRows = 0;
  let rows = 0;
  const scratch = plan ? newItemValues(plan) : undefined;
  // Ids repeat row after row in a long file: their strings are reused while the bytes are the same.
  const clientCell = new RepeatedCell(clientCol);
  const therapistCell = therapistCol >= 0 ? new RepeatedCell(therapistCol) : undefined;
  for await (const batch of csv.batches) {
    for (let j = 0; j < batch.length; j++) {
      const record = batch.at(j);
      rows++;
      // Only these few cells are decoded; on the fast path the rest stay bytes.
      const cell = (i: number) => cellText(record, i);
      const client = clientCell.get(record).trim();
      if (client === '') {
        problems.push({ line: record.line, column: csv.header[clientCol]!, value: '', code: 'CLIENT_MISSING', message: 'no client id: the row is left out' });
        continue;
      }
      // A plain whole session number is read from the bytes (the same number readSession gives).
      const number = roles.session.kind === 'column' && record instanceof FastRecord ? record.number(sessionCol, false) : Number.NaN;
      const session: SessionRead = Number.isInteger(number) ? { ok: true, session: number } : readSession(cell, roles.session);
      if (!session.ok) {
        if (session.base) {
          baseRows++;
          const t = therapistCell ? therapistCell.get(record).trim() : '';
          if (t !== '') baseTherapist.set(client, t);
        } else problems.push({ line: record.line, column: csv.header[sessionCol]!, value: session.value, code: session.code, message: session.message });
        continue;
      }
      let score: number | null = null;
      if (plan) {
        const items = readItems(plan, record, scratch);
        score = scaleScoreOf(plan, items, scaleIndex);
        for (const p of items.problems) problems.push({ line: record.line, column: p.column, value: p.value, code: p.code, message: p.message });
        if (needAlpha) itemValues.push(items.values, scaleItems);
      } else {
        const raw = cell(scoreCol).trim();
        const value = parseDecimal(raw, csv.dialect.decimalComma);
        if (!Number.isNaN(value)) score = value;
        else if (raw !== '') problems.push({ line: record.line, column: csv.header[scoreCol]!, value: raw, code: 'SCORE_NOT_NUMERIC', message: `"${raw}" is not a number: the administration has no score` });
      }
      admins.push({ client, session: session.session, score, therapist: therapistCell ? therapistCell.get(record).trim() : '', line: record.line, index: admins.length });
    }
  }
  // REDCap keeps non-repeating fields (the therapist) on the record's base row.
  for (const a of admins) if (a.therapist === '') a.therapist = baseTherapist.get(a.client) ?? '';

  const built = buildSeries(admins);
  // The RCI's reliability: --reliability, the instrument's norm, or alpha at each client's first valid administration.
  let reliability = opts.reliability;
  let reliabilitySource = '--reliability';
  if (reliability === undefined && norm?.reliability !== undefined) {
    reliability = norm.reliability;
    reliabilitySource = `norms of ${inst!.id}/${scale!.id}${norm.source ? ` (${norm.source})` : ''}`;
  }
  if (reliability === undefined) {
    const firsts = built.series.flatMap((s) => (s.first ? [s.first.index!] : []));
    const k = scaleItems.length;
    const values = new Float64Array(firsts.length * k);
    firsts.forEach((a, r) => values.set(itemValues.row(a), r * k));
    const alpha = cronbachAlpha({ rows: firsts.length, cols: k, values });
    reliability = alpha.raw;
    reliabilitySource = `Cronbach's alpha (psych raw_alpha, pairwise) of the ${k} items at each client's first valid administration (n = ${firsts.length})`;
    if (!Number.isFinite(reliability)) throw usageError('RELIABILITY_UNAVAILABLE', `alpha at the first administrations cannot be computed (${alpha.failure ?? 'too few clients'})`, 'give --reliability r');
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
    ruptureMethod: opts.ruptureMethod,
    repairWindow: opts.repairWindow,
  }, built);
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
    result,
    problems,
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
      rupture_method: opts.ruptureMethod,
      repair_window: opts.repairWindow,
      clinical_cutoff: clinicalCutoff ?? null,
      cutoff_is_clinical: clinicalCutoff === undefined ? null : cutoffIsClinical,
      sudden_gain_pct: 0.25,
      sudden_gain_alpha: 0.05,
      session_grid: result.cohort.sessionGrid,
    },
  };
}
