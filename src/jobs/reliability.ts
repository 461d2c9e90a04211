/**
 * `rapport reliability` as a job: one pass over the rows collects each instrument's item values
 * (reverse-keyed, NaN when missing or invalid), then every instrument × scale × group is analysed.
 * The item values are kept in memory (8 bytes per item per row): alpha's pairwise covariances,
 * raw item–total correlations and the bootstrap need the rows themselves.
 */
import type { Readable } from 'node:stream';
import type { ReadOptions } from '../io/table.js';
import { usageError } from '../errors.js';
import { naturalOrder } from '../report/format.js';
import type { LoadedInstrument } from '../instrument/types.js';
import { newItemValues, readItems } from '../scoring/score.js';
import { cellText } from '../io/fast-csv.js';
import { collectInParts, partInput, planSplit, type RunningPart } from '../parallel/parts.js';
import type { ColumnMap } from '../scoring/columns.js';
import { analyseMoments, analyseScale, type MissingMode } from '../reliability/analyse.js';
import { MomentAccumulator } from '../stats/moments.js';
import { MAX_KEPT_PROBLEMS, MomentCollector, type MomentsPartArgs, type MomentsPartResult } from '../reliability/collect.js';
import type { Scale } from '../instrument/types.js';
import type { ReliabilityReport, ScaleReport } from '../reliability/report.js';

export type { ReliabilityReport, ScaleReport };
import { type ItemMatrix, RowStore } from '../stats/item-matrix.js';
import { findColumn, type InputHooks, prepareInput } from './prepare.js';

export interface ReliabilityJobOptions {
  input: string;
  hooks?: InputHooks;
  read?: ReadOptions;
  instruments: readonly LoadedInstrument[];
  map?: ColumnMap;
  scale?: string;
  missing: MissingMode;
  boot?: number;
  seed: number;
  by?: string;
  /** Output paths, only to refuse writing over the input. */
  outputs: Array<{ option: string; path: string | undefined }>;
  /** Keep every row in memory (needed for --boot and standard input; chosen automatically). */
  inMemory?: boolean;
  /** Read a large file in two parts at once (src/parallel): 1 never; default 2 for files of 32 MB or more on 2+ cores. */
  threads?: number;
}

/** A growing row-major store of doubles. */
/** Group labels in a natural order: numerically when every label is a number, else as text. */
export function sortGroups(labels: string[]): string[] {
  const numeric = labels.every((l) => l.trim() !== '' && Number.isFinite(Number(l)));
  return [...labels].sort((a, b) => (numeric ? Number(a) - Number(b) : naturalOrder(a, b)));
}

/** Rows (within a group) with at least one answered item of the scale, as an item matrix. */
function scaleMatrix(store: RowStore, rowIndices: readonly number[], columns: readonly number[]): ItemMatrix {
  const k = columns.length;
  const kept: number[] = [];
  for (const r of rowIndices) if (columns.some((c) => !Number.isNaN(store.get(r, c)))) kept.push(r);
  const values = new Float64Array(kept.length * k);
  kept.forEach((r, i) => columns.forEach((c, j) => (values[i * k + j] = store.get(r, c))));
  return { rows: kept.length, cols: k, values };
}

export async function runReliabilityJob(opts: ReliabilityJobOptions, stdin: Readable): Promise<ReliabilityReport> {
  const selected = opts.instruments.map(({ instrument }) => instrument.scales.filter((s) => opts.scale === undefined || s.id === opts.scale));
  if (selected.every((s) => s.length === 0)) {
    const all = opts.instruments.map(({ instrument: i }) => `${i.id}: ${i.scales.map((s) => s.id).join(', ')}`).join('; ');
    throw usageError('SCALE_UNKNOWN', `no instrument has a scale "${opts.scale}"`, `the scales are ${all}`);
  }
  const inMemory = opts.inMemory === true || (opts.boot ?? 0) > 0 || opts.input === '-';
  if (!inMemory) {
    const streamed = await runStreaming(opts, selected, stdin);
    // psych's raw.r over the kept items needs the rows when an item has no variance: read again, in memory.
    if (streamed.scales.some((s) => s.result.alpha.zeroVariance.length > 0)) return runReliabilityJob({ ...opts, inMemory: true }, stdin);
    return streamed;
  }
  const { csv, plans } = await prepareInput({ ...opts }, stdin);
  const byIndex = opts.by === undefined ? -1 : findColumn(csv.header, opts.by, '--by', csv.name);

  const stores = plans.map((p) => new RowStore(p.columns.length, RowStore.fitsSmall(p.instrument.responseScale)));
  const groupOf: number[] = [];
  const groupIds = new Map<string, number>();
  const problems: ReliabilityReport['problems'] = [];
  let problemCount = 0;
  let rows = 0;
  const scratch = plans.map(newItemValues);
  for await (const batch of csv.batches) {
    for (let j = 0; j < batch.length; j++) {
      const record = batch.at(j);
      plans.forEach((plan, k) => {
        const items = readItems(plan, record, scratch[k]);
        stores[k]!.push(items.values);
        problemCount += items.problems.length;
        for (const problem of items.problems) if (problems.length < MAX_KEPT_PROBLEMS) problems.push({ line: record.line, instrument: plan.instrument.id, problem });
      });
      if (byIndex >= 0) {
        const label = cellText(record, byIndex).trim();
        let id = groupIds.get(label);
        if (id === undefined) groupIds.set(label, (id = groupIds.size));
        groupOf.push(id);
      }
      rows++;
    }
  }

  const allRows = Array.from({ length: rows }, (_, i) => i);
  const groups: Array<{ label?: string; rows: number[] }> =
    byIndex < 0
      ? [{ rows: allRows }]
      : sortGroups([...groupIds.keys()]).map((label) => {
          const id = groupIds.get(label)!;
          return { label, rows: allRows.filter((r) => groupOf[r] === id) };
        });

  const scales: ScaleReport[] = [];
  for (const [k, plan] of plans.entries()) {
    const inst = plan.instrument;
    const position = new Map(inst.items.map((it, i) => [it.id, i]));
    for (const scale of selected[k]!) {
      const columns = scale.items.map((id) => position.get(id)!);
      for (const group of groups) {
        const m = scaleMatrix(stores[k]!, group.rows, columns);
        const names = scale.items.map((id) => `${id} (${plan.columnNames[position.get(id)!]})`);
        scales.push({
          instrument: inst,
          scaleId: scale.id,
          ...(group.label === undefined ? {} : { group: group.label }),
          itemIds: [...scale.items],
          itemColumns: columns.map((c) => plan.columnNames[c]!),
          result: await analyseScale(m, names, { missing: opts.missing, ...(opts.boot === undefined ? {} : { boot: opts.boot }), seed: opts.seed }),
        });
      }
    }
  }
  return { input: csv.name, rows, ...(opts.by === undefined ? {} : { by: csv.header[byIndex]! }), problems, problemCount, scales };
}

/** One pass, O(k²) memory per scale and group; a large file is read in two parts at once (src/parallel). */
async function runStreaming(opts: ReliabilityJobOptions, selected: Scale[][], stdin: Readable): Promise<ReliabilityReport> {
  const split = opts.hooks?.transform ? undefined : await planSplit(opts.input, opts.threads, opts.read?.encoding);
  const position = { line: 0 };
  const running: { part?: RunningPart<MomentsPartResult | null> } = {};
  const hooks: InputHooks | undefined = opts.hooks?.onProgress ? { ...opts.hooks, onProgress: (b) => opts.hooks!.onProgress!(b + (running.part?.bytesRead() ?? 0)) } : opts.hooks;
  const { csv, plans } = await prepareInput({ ...opts, hooks }, stdin, split && { end: split.at, position });
  const byIndex = opts.by === undefined ? -1 : findColumn(csv.header, opts.by, '--by', csv.name);
  const collector = new MomentCollector(plans, selected, byIndex, opts.missing === 'listwise');
  const args = (): MomentsPartArgs => ({
    ...partInput(csv, plans),
    scales: selected.map((ss) => ss.map((s) => s.id)),
    byIndex,
    listwise: opts.missing === 'listwise',
  });
  if (!(await collectInParts({ csv, split, position, task: 'moments', args, collector, running }))) return runStreaming({ ...opts, threads: 1 }, selected, stdin);
  collector.settle();
  const { groupIds, layout, problems, problemCount, rows } = collector;
  const labels = byIndex < 0 ? [undefined] : sortGroups([...groupIds.keys()]);
  const scales: ScaleReport[] = [];
  plans.forEach((plan, k) => {
    for (const l of layout[k]!) {
      const names = l.scale.items.map((id, j) => `${id} (${plan.columnNames[l.columns[j]!]})`);
      for (const label of labels) {
        const id = label === undefined ? 0 : groupIds.get(label)!;
        const acc = l.accs[id] ?? new MomentAccumulator(l.columns.length, l.shift);
        scales.push({
          instrument: plan.instrument,
          scaleId: l.scale.id,
          ...(label === undefined ? {} : { group: label }),
          itemIds: [...l.scale.items],
          itemColumns: l.columns.map((c) => plan.columnNames[c]!),
          result: analyseMoments(acc.finish(), names),
        });
      }
    }
  });
  return { input: csv.name, rows, ...(opts.by === undefined ? {} : { by: csv.header[byIndex]! }), problems, problemCount, scales };
}
