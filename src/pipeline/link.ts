/**
 * `rapport link` as a run: one pass, the trajectory consumer with the predictor and the outcome
 * measure (instruments scored from their items, or score columns), then the within/between model.
 */
import type { Readable } from 'node:stream';
import { usageError } from '../errors.js';
import type { LoadedInstrument } from '../instrument/types.js';
import type { ReadOptions } from '../input/table.js';
import type { ColumnMap } from '../scoring/columns.js';
import { fitLink, type LinkResult, linkPairs } from '../trajectory/link.js';
import type { TrajectoryParams } from '../trajectory/measure.js';
import { runPass } from './pass.js';
import { openRun } from './prepare.js';
import { type MeasureSpec, trajectoryConsumer } from './trajectories.js';

/** A measure of the model: an instrument's scale, or a score column. */
export type LinkMeasure = { instrument: LoadedInstrument; scale?: string } | { column: string };

export interface LinkJobOptions extends Pick<TrajectoryParams, 'client' | 'session' | 'therapist' | 'preset' | 'eventMap' | 'date' | 'sessionOrder' | 'dateFormat'> {
  input: string;
  predictor: LinkMeasure;
  outcome: LinkMeasure;
  detrend: boolean;
  /** Add (1 | therapist). */
  therapistEffect: boolean;
  map?: ColumnMap;
  read?: ReadOptions;
  outputs: Array<{ option: string; path: string | undefined }>;
}

export interface LinkRun {
  input: string;
  rows: number;
  predictor: string;
  outcome: string;
  result: LinkResult | { failure: string };
}

/** The column roles of the run, as the trajectory consumer reads them. */
function roleParams(opts: LinkJobOptions): TrajectoryParams {
  const { client, session, therapist, preset, eventMap, date, sessionOrder, dateFormat } = opts;
  return {
    repairWindow: 3,
    ...(client === undefined ? {} : { client }), ...(session === undefined ? {} : { session }), ...(therapist === undefined ? {} : { therapist }),
    ...(preset === undefined ? {} : { preset }), ...(eventMap === undefined ? {} : { eventMap }),
    ...(date === undefined ? {} : { date }), ...(sessionOrder === undefined ? {} : { sessionOrder }), ...(dateFormat === undefined ? {} : { dateFormat }),
  };
}

export async function runLinkJob(opts: LinkJobOptions, stdin: Readable): Promise<LinkRun> {
  const loaded = [opts.predictor, opts.outcome].flatMap((m) => ('instrument' in m ? [m.instrument] : []));
  if (loaded.length === 2 && loaded[0]!.instrument.id === loaded[1]!.instrument.id) {
    const [a, b] = [opts.predictor, opts.outcome] as Array<{ scale?: string }>;
    if ((a!.scale ?? 'total') === (b!.scale ?? 'total')) throw usageError('LINK_SAME_MEASURE', 'the predictor and the outcome are the same measure', 'give two different measures, e.g. --predictor wai-sr --outcome ors');
  }
  const distinct = loaded.filter((l, i) => loaded.findIndex((x) => x.instrument.id === l.instrument.id) === i);
  const { table, plans } = await openRun({ input: opts.input, instruments: distinct, ...(opts.map ? { map: opts.map } : {}), outputs: opts.outputs, ...(opts.read ? { read: opts.read } : {}) }, stdin);
  const spec = (m: LinkMeasure): MeasureSpec => {
    const params: TrajectoryParams = { repairWindow: 3 };
    if ('column' in m) return { k: -1, scoreColumn: m.column, higherIsBetter: true, params, collectItems: false };
    const k = distinct.findIndex((l) => l.instrument.id === m.instrument.instrument.id);
    return { plan: plans[k], k, ...(m.scale ? { scale: m.scale } : {}), params, collectItems: false };
  };
  const { consumer, contexts } = trajectoryConsumer(table, [spec(opts.predictor), spec(opts.outcome)], roleParams(opts));
  const rows = await runPass(table, plans, [consumer]);
  consumer.admins.fillTherapists(consumer.baseTherapist);
  consumer.settle();
  const name = (k: number) => {
    const c = contexts[k]!;
    return c.inst && c.scale ? `${c.inst.id}/${c.scale.id}` : c.header[c.scoreColumn]!;
  };
  const pairs = linkPairs(consumer.admins.buildSeries(0).series, consumer.admins.buildSeries(1).series, opts.detrend);
  return { input: table.name, rows, predictor: name(0), outcome: name(1), result: fitLink(pairs, { detrend: opts.detrend, therapist: opts.therapistEffect }) };
}
