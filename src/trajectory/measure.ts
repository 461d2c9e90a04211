/**
 * One trajectory measure from what its consumer collected (src/trajectory/consumer.ts): the RCI's
 * reliability (--reliability, the instrument's norm, or alpha at each client's first valid
 * administration), the rupture rule (alliance measures only), and everything analyseTrajectories
 * computes, with every parameter recorded for cohort.json.
 */
import { DATE_FORMATS, type DateFormat } from '../input/dates.js';
import { inputError, usageError } from '../errors.js';
import type { Instrument, Scale } from '../instrument/types.js';
import type { ColumnRoles, Preset } from '../input/presets.js';
import type { SkippedRow } from '../input/table.js';
import { rawAlphaOf } from '../stats/alpha.js';
import { analyseTrajectories, type TrajectoryResult } from './analyse.js';
import type { RowProblem, TrajectoryConsumer } from './consumer.js';
import { ETR_Z, type EtrModel, fitEtr } from './etr.js';
import type { RuptureMethod } from './ruptures.js';

export type { RowProblem };

/** Fewer first administrations than this make alpha for the RCI too imprecise to use without a loud warning. */
export const MIN_RELIABILITY_CLIENTS = 30;

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
  /** With --score-column: the column is an outcome measure (fit the expected treatment response). */
  outcome?: boolean;
  /** The ETR band's z (default 1.2816). */
  etrZ?: number;
  /** Models read with --expected, applied instead of fitting (by measure). */
  expected?: readonly EtrModel[];
  /** The date column (default: date when present). */
  date?: string;
  /** 'date': sessions numbered per client in date order, not read from a session column. */
  sessionOrder?: 'session' | 'date';
  /** How dates are written (default iso). */
  dateFormat?: DateFormat;
  /** Flag clients not seen in this many days before the latest date in the file. */
  inactiveDays?: number;
  /**
   * When alpha at the first administrations is not a usable reliability (not computable, or ≤ 0):
   * 'error' stops with RELIABILITY_UNUSABLE (trajectories), 'omit' leaves the RCI out with a loud
   * warning (report, which cannot take one --reliability per measure).
   */
  unusableReliability?: 'error' | 'omit';
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
  parameters: Record<string, unknown>;
  /** What the measure is, for the attention list: outcome (ETR, deterioration), alliance (ruptures), or other. */
  construct: 'outcome' | 'alliance' | 'other';
  /** Why there is no expected treatment response for an outcome measure, or null. */
  etrNote: string | null;
  /** Risk items met at clients' latest administrations. */
  critical: CriticalAtLatest[];
}

/** A risk item met at a client's latest administration. */
export interface CriticalAtLatest {
  client: string;
  session: number;
  /** Day number of the administration's date (NaN: none). */
  day: number;
  line: number;
  item: string;
  column: string;
  value: number;
  threshold: number;
  message: string;
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

/** The measure: an instrument's scale, or a score column (then `inst` and `scale` are undefined). */
export interface MeasureContext {
  input: string;
  header: readonly string[];
  skipped: SkippedRow[];
  roles: ColumnRoles;
  inst?: Instrument;
  scale?: Scale;
  scoreColumn: number;
  scoreColumnName?: string;
  higherIsBetter: boolean;
}

/** Measure m of the consumer's measures. */
export function analyseMeasure(consumer: TrajectoryConsumer, m: number, ctx: MeasureContext, opts: TrajectoryParams): TrajectoryReport {
  const { header, roles, inst, scale, higherIsBetter } = ctx;
  const norm = inst && scale ? inst.norms?.[scale.id] : undefined;
  const sessionCol = roles.session.index;
  const { client: clientCol, therapist: therapistCol } = roles;
  const { admins, baseTherapist, baseRows, rows } = consumer;
  const { itemValues } = consumer.measures[m]!;
  const problems = [...consumer.rowProblems, ...consumer.measures[m]!.problems];
  const k = itemValues.cols;
  // REDCap keeps non-repeating fields (the therapist) on the record's base row.
  admins.fillTherapists(baseTherapist);
  consumer.settle();

  const built = admins.buildSeries(m);
  // The RCI's reliability: --reliability, the instrument's norm, or alpha at each client's first valid administration.
  const warnings: string[] = [];
  let reliability: number | null | undefined = opts.reliability;
  let reliabilitySource = '--reliability';
  let reliabilityWarning: string | null = null;
  // A published criterion in points (norms.reliableChange) replaces the RCI unless --reliability or --sd is given.
  const points = opts.reliability === undefined && opts.sd === undefined && norm?.reliableChange !== undefined ? norm.reliableChange : undefined;
  if (points !== undefined) {
    reliability = null;
    reliabilitySource = `norms of ${inst!.id}/${scale!.id}`;
  } else if (reliability === undefined && norm?.reliability !== undefined) {
    reliability = norm.reliability;
    reliabilitySource = `norms of ${inst!.id}/${scale!.id}${norm.source ? ` (${norm.source})` : ''}`;
  }
  if (reliability === undefined) {
    const firsts = [...built.series.first].filter((i) => i >= 0);
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
  const measure = inst ? `${inst.id}/${scale!.id}` : header[ctx.scoreColumn]!;

  // The expected treatment response, for outcome measures: a model read with --expected, or fitted here.
  const outcome = inst ? inst.construct === 'outcome' : opts.outcome === true;
  const z = opts.etrZ ?? ETR_Z;
  let etrModel: EtrModel | undefined;
  let etrNote: string | null = null;
  if (outcome) {
    const given = opts.expected?.find((e) => e.measure === measure);
    if (given && given.higherIsBetter !== higherIsBetter) {
      throw inputError('EXPECTED_MODEL_MISMATCH', `the model for ${measure} in ${given.file} was fitted to a measure where ${given.higherIsBetter ? 'higher' : 'lower'} is better; ${measure} has ${higherIsBetter ? 'higher' : 'lower'} is better`, { hint: 'use a model fitted to the same measure' });
    }
    if (given) etrModel = given;
    else {
      const fitted = fitEtr(built.series, measure, higherIsBetter);
      if ('model' in fitted) etrModel = fitted.model;
      else etrNote = fitted.failure;
      if (opts.expected && opts.expected.length > 0) warnings.push(`the model file has no model for ${measure}: ${etrModel ? 'its expected treatment response was fitted on these data' : 'none was fitted either'}`);
    }
    if (etrNote !== null) warnings.push(`no expected treatment response for ${measure} (so no client is "not on track" on it): ${etrNote}`);
  }

  const result = analyseTrajectories(admins, {
    higherIsBetter,
    ...(opts.sd === undefined ? {} : { sd: opts.sd }),
    reliability,
    reliabilitySource,
    ...(points !== undefined ? { reliableChangePoints: { points, source: `norms of ${inst!.id}/${scale!.id}${norm?.source ? `: ${norm.source}` : ''}` } } : {}),
    ...(opts.suddenGainCutoff === undefined ? {} : { suddenGainCutoff: opts.suddenGainCutoff }),
    ...(clinicalCutoff === undefined ? {} : { clinicalCutoff }),
    cutoffIsClinical,
    ruptureMethod,
    repairWindow: opts.repairWindow,
    ...(etrModel ? { etr: { model: etrModel, z } } : {}),
  }, built);
  result.warnings.unshift(...warnings);
  for (const d of result.duplicates) {
    for (const line of d.lines) {
      const byDate = roles.session.kind === 'date-order';
      problems.push({
        line, column: header[sessionCol]!, value: String(d.session), code: 'DUPLICATE_SESSION',
        message: byDate
          ? `client ${d.client} has ${d.lines.length} administrations on one date (lines ${d.lines.join(' and ')}), and sessions are numbered by date: all are left out of the series`
          : `client ${d.client} has session ${d.session} on lines ${d.lines.join(' and ')}: all are left out of the series`,
      });
    }
  }
  problems.sort((a, b) => a.line - b.line);

  // Risk items met at each client's latest administration.
  const critical: CriticalAtLatest[] = [];
  const hits = consumer.measures[m]!.critical;
  if (hits.length > 0 && inst) {
    const latest = admins.latestByClient();
    const latestAdmins = new Map<number, string>();
    for (const [client, l] of latest) for (const a of l.admins) latestAdmins.set(a, client);
    for (const h of hits) {
      const client = latestAdmins.get(h.admin);
      if (client === undefined) continue;
      const rule = inst.critical![h.rule]!;
      const where = admins.where(h.admin);
      const item = inst.items.find((it) => it.id === rule.item)!;
      critical.push({ client, session: where.session, day: where.day, line: where.line, item: rule.item, column: item.column, value: h.value, threshold: rule.threshold, message: rule.message });
    }
  }
  return {
    input: ctx.input,
    rows,
    measure,
    higherIsBetter,
    columns: { client: header[clientCol]!, session: header[sessionCol]!, therapist: therapistCol >= 0 ? header[therapistCol]! : null },
    ...(roles.preset ? { preset: roles.preset } : {}),
    baseRows,
    skipped: ctx.skipped,
    clinicalCutoff: clinicalCutoff ?? null,
    cutoffIsClinical,
    reliabilityWarning,
    result,
    problems,
    parameters: {
      measure,
      instrument: inst?.id ?? null,
      scale: scale?.id ?? null,
      score_column: ctx.scoreColumnName ?? null,
      higher_is_better: higherIsBetter,
      client_column: header[clientCol],
      session_column: header[sessionCol],
      session_from: roles.session.kind === 'column' ? 'column' : roles.session.kind === 'date-order' ? `numbered per client in the order of ${roles.session.name} (${DATE_FORMATS[roles.dateFormat]})` : roles.session.kind === 'redcap-instance' ? 'REDCap repeat instance' : roles.session.map ? 'REDCap event name via --event-map' : 'REDCap event name (its number)',
      preset: roles.preset ?? null,
      therapist_column: therapistCol >= 0 ? header[therapistCol] : null,
      rci_z: 1.96,
      ruptures: alliance ? 'looked for (an alliance measure)' : `not looked for: ${inst ? `${inst.id} is not an alliance measure` : 'the score column was not declared an alliance measure (--ruptures)'}`,
      rupture_method: ruptureMethod,
      repair_window: alliance ? opts.repairWindow : null,
      clinical_cutoff: clinicalCutoff ?? null,
      cutoff_is_clinical: clinicalCutoff === undefined ? null : cutoffIsClinical,
      sudden_gain_pct: 0.25,
      sudden_gain_alpha: 0.05,
      session_grid: result.cohort.sessionGrid,
      etr: outcome ? { z, formula: 'score ~ log(t) * intake + (1 + log(t) | client), REML; t = session - first scored session + 1', source: etrModel ? etrModel.source : null } : 'not an outcome measure',
    },
    construct: outcome ? 'outcome' : alliance ? 'alliance' : 'other',
    etrNote,
    critical,
  };
}
