/** `rapport reliability` as a run: one pass, one consumer (the moments), then every scale's coefficients. */
import type { Readable } from 'node:stream';
import { usageError } from '../errors.js';
import type { LoadedInstrument } from '../instrument/types.js';
import type { ReadOptions } from '../input/table.js';
import type { MissingMode } from '../reliability/analyse.js';
import { analyseCollected } from '../reliability/collected.js';
import { ReliabilityConsumer } from '../reliability/consumer.js';
import { ClusterConsumer } from '../reliability/clusters.js';
import type { ReliabilityReport, ScaleReport } from '../reliability/report.js';
import type { ColumnMap } from '../scoring/columns.js';
import { runPass } from './pass.js';
import { findColumn, openRun } from './prepare.js';

export type { ReliabilityReport, ScaleReport };

export interface ReliabilityJobOptions {
  input: string;
  read?: ReadOptions;
  instruments: readonly LoadedInstrument[];
  map?: ColumnMap;
  scale?: string;
  missing: MissingMode;
  boot?: number;
  seed: number;
  by?: string;
  /** The client column (rows nested in clients); undefined: client_id when the file has it; false: none. */
  client?: string | false;
  /** Output paths, only to refuse writing over the input. */
  outputs: Array<{ option: string; path: string | undefined }>;
  onProgress?: (bytes: number) => void;
}

/** The scales of each instrument that --scale selects (all by default); SCALE_UNKNOWN when it selects none. */
export function selectScales(instruments: readonly LoadedInstrument[], scale: string | undefined) {
  const selected = instruments.map(({ instrument }) => instrument.scales.filter((s) => scale === undefined || s.id === scale));
  if (selected.every((s) => s.length === 0)) {
    const all = instruments.map(({ instrument: i }) => `${i.id}: ${i.scales.map((s) => s.id).join(', ')}`).join('; ');
    throw usageError('SCALE_UNKNOWN', `no instrument has a scale "${scale}"`, `the scales are ${all}`);
  }
  return selected;
}

export async function runReliabilityJob(opts: ReliabilityJobOptions, stdin: Readable): Promise<ReliabilityReport> {
  const selected = selectScales(opts.instruments, opts.scale);
  const { table, plans } = await openRun(opts, stdin);
  const byIndex = opts.by === undefined ? -1 : findColumn(table.header, opts.by, '--by', table.name);
  const consumer = new ReliabilityConsumer(plans, selected, { byIndex, listwise: opts.missing === 'listwise', keepRows: (opts.boot ?? 0) > 0 });
  // client_id is taken by default only without --by: two-level fits for every group are asked for by naming --client.
  const clientIndex = opts.client === false ? -1 : opts.client !== undefined ? findColumn(table.header, opts.client, '--client', table.name) : opts.by === undefined ? table.header.findIndex((h) => h.trim().toLowerCase() === 'client_id') : -1;
  // The clients' sums come first in the pass: the moments' consumer may lend the scorer memory that a later batch detaches.
  const clusters = clientIndex >= 0 ? new ClusterConsumer(plans, consumer.layout, clientIndex, byIndex, (opts.boot ?? 0) > 0) : undefined;
  const rows = await runPass(table, plans, clusters ? [clusters, consumer] : [consumer], opts.onProgress ? { onProgress: opts.onProgress } : {});
  const scales = await analyseCollected(consumer, plans, {
    missing: opts.missing, ...(opts.boot === undefined ? {} : { boot: opts.boot }), seed: opts.seed, grouped: byIndex >= 0,
    ...(clusters ? { clusters: { consumer: clusters, column: table.header[clientIndex]! } } : {}),
  });
  return { input: table.name, rows, ...(opts.by === undefined ? {} : { by: table.header[byIndex]! }), ...(clusters ? { client: table.header[clientIndex]!, rowsWithoutClient: clusters.rowsWithoutClient } : {}), problems: consumer.problems, problemCount: consumer.problemCount, scales };
}
