/** `rapport trajectories` as a run: one pass, one consumer (the administrations), then the measure's analysis. */
import type { Readable } from 'node:stream';
import { usageError } from '../errors.js';
import type { LoadedInstrument } from '../instrument/types.js';
import { resolveRoles } from '../input/presets.js';
import type { ReadOptions, TableSource } from '../input/table.js';
import type { ColumnMap } from '../scoring/columns.js';
import type { ScoringPlan } from '../scoring/plan.js';
import { type MeasureSource, TrajectoryConsumer } from '../trajectory/consumer.js';
import { type AttentionEntry, buildAttention } from '../trajectory/attention.js';
import { analyseMeasure, chooseScale, type MeasureContext, type TrajectoryParams, type TrajectoryReport } from '../trajectory/measure.js';
import { runPass } from './pass.js';
import { findColumn, openRun } from './prepare.js';

export type { TrajectoryParams, TrajectoryReport };

export interface TrajectoryJobOptions extends TrajectoryParams {
  input: string;
  read?: ReadOptions;
  instrument?: LoadedInstrument;
  scale?: string;
  scoreColumn?: string;
  higherIsBetter?: boolean;
  map?: ColumnMap;
  outputs: Array<{ option: string; path: string | undefined }>;
  onProgress?: (bytes: number) => void;
}

/** What a trajectories folder written by rapport before manifests holds (it is replaced like one with a manifest). */
export const LEGACY_TRAJECTORIES = {
  required: ['trajectories.csv', 'events.csv', 'therapists.csv', 'cohort.json'],
  allowed: (p: string) => /^((trajectories|events|therapists|problems)\.csv|cohort\.json)$/.test(p),
};

/** A measure followed: instrument `k` of the run (its `scale`), or, with no plan, the score column. */
export interface MeasureSpec {
  plan?: ScoringPlan;
  k: number;
  scale?: string;
  scoreColumn?: string;
  higherIsBetter?: boolean;
  /** The measure's own options (the RCI's reliability among them). */
  params: TrajectoryParams;
  /** Keep item values for alpha at the first administrations when needed (default true; not for a link model). */
  collectItems?: boolean;
}

/**
 * The trajectory consumer of an opened table, for every measure followed (one reading of each row's
 * client, session and therapist), and what analyseMeasure needs to know of each measure.
 */
export function trajectoryConsumer(table: TableSource, measures: readonly MeasureSpec[], opts: TrajectoryParams): { consumer: TrajectoryConsumer; contexts: MeasureContext[] } {
  const roles = resolveRoles(table.header, table.skipped, opts, (column, option) => findColumn(table.header, column, option, table.name));
  const sources: MeasureSource[] = [];
  const contexts = measures.map((measure) => {
    const inst = measure.plan?.instrument;
    const scale = inst ? chooseScale(inst.scales, measure.scale, inst.id) : undefined;
    const norm = inst && scale ? inst.norms?.[scale.id] : undefined;
    const scoreColumn = measure.scoreColumn === undefined ? -1 : findColumn(table.header, measure.scoreColumn, '--score-column', table.name);
    sources.push({
      ...(measure.plan ? { plan: measure.plan } : {}),
      k: measure.plan ? measure.k : -1,
      scoreColumn,
      scale: inst && scale ? inst.scales.indexOf(scale) : -1,
      scaleItems: Int32Array.from(inst && scale ? scale.items.map((id) => inst.items.findIndex((it) => it.id === id)) : []),
      needAlpha: inst !== undefined && measure.collectItems !== false && measure.params.reliability === undefined && norm?.reliability === undefined && !(measure.params.sd === undefined && norm?.reliableChange !== undefined),
    });
    const ctx: MeasureContext = {
      input: table.name,
      header: table.header,
      skipped: table.skipped,
      roles,
      ...(inst ? { inst } : {}),
      ...(scale ? { scale } : {}),
      scoreColumn,
      ...(measure.scoreColumn === undefined ? {} : { scoreColumnName: measure.scoreColumn }),
      higherIsBetter: inst ? inst.higherIsBetter : measure.higherIsBetter === true,
    };
    return ctx;
  });
  return { consumer: new TrajectoryConsumer(table.header, roles, sources, table.dialect.decimalComma), contexts };
}

/** What the attention list needs of a run's administrations: each client's latest, and the latest date. */
export function attentionOf(consumer: TrajectoryConsumer, measures: ReadonlyArray<{ label: string; report: TrajectoryReport }>, inactiveDays: number | undefined): AttentionEntry[] {
  return buildAttention({ latest: consumer.admins.latestByClient(), latestDay: consumer.admins.latestDay(), measures, ...(inactiveDays === undefined ? {} : { inactiveDays }) });
}

/** The dates the administrations span (day numbers), or null when none has a date. */
export function dateRange(consumer: TrajectoryConsumer): [number, number] | null {
  const latest = consumer.admins.latestDay();
  return latest === latest ? [consumer.admins.earliestDay(), latest] : null;
}

export interface TrajectoryRun {
  report: TrajectoryReport;
  attention: AttentionEntry[];
  dates: [number, number] | null;
}

export async function runTrajectoryJob(opts: TrajectoryJobOptions, stdin: Readable): Promise<TrajectoryRun> {
  const inst = opts.instrument?.instrument;
  if (inst) chooseScale(inst.scales, opts.scale, inst.id);
  if (!inst && opts.reliability === undefined) {
    throw usageError('RELIABILITY_REQUIRED', 'with --score-column, give the reliability for the RCI with --reliability r', 'rapport cannot estimate alpha without the items; use -i <instrument> to score from items instead');
  }
  const { table, plans } = await openRun({ input: opts.input, instruments: opts.instrument ? [opts.instrument] : [], map: opts.map, outputs: opts.outputs, read: opts.read }, stdin);
  const { consumer, contexts } = trajectoryConsumer(table, [{ plan: plans[0], k: 0, scale: opts.scale, scoreColumn: opts.scoreColumn, higherIsBetter: opts.higherIsBetter, params: opts }], opts);
  await runPass(table, plans, [consumer], opts.onProgress ? { onProgress: opts.onProgress } : {});
  const report = analyseMeasure(consumer, 0, contexts[0]!, opts);
  return { report, attention: attentionOf(consumer, [{ label: report.measure, report }], opts.inactiveDays), dates: dateRange(consumer) };
}
