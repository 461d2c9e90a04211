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
import { digitRowsFor, type ItemValues, newItemValues, readItems, type ScoringPlan } from '../scoring/score.js';
import type { CsvRecord, RecordBatch } from '../io/csv-read.js';
import { collectInParts, type PartInput, partInput, partPlans, planSplit, type RunningPart } from '../parallel/parts.js';
import type { ColumnMap } from '../scoring/columns.js';
import { analyseMoments, analyseScale, type MissingMode } from '../reliability/analyse.js';
import { MomentAccumulator, type MomentSums } from '../stats/moments.js';
import { cellText, type DigitRows } from '../io/fast-csv.js';
import { type StateTable, WasmMoments } from '../stats/wasm-moments.js';
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

const MAX_KEPT_PROBLEMS = 10_000;

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

/** Rows given to the kernel at a time (see MomentCollector.add). */
const TILE = 256;

/** One instrument's selected scales: their item positions and one accumulator per group. */
interface ScaleLayout {
  scale: Scale;
  columns: number[];
  shift: Float64Array;
  accs: MomentAccumulator[];
}

/**
 * The streaming pass over rows: each row's reverse-keyed values of each scale go into that scale's
 * moment accumulator for the row's group (rows with no answer on the scale are left out, as in
 * memory; with --missing listwise only complete rows go in). Where WebAssembly is available the
 * accumulators' sums are kept in the kernel's memory (src/stats/wasm-moments.ts), where DigitRows
 * puts a batch's values (or this pass, for the records it cannot read), and the kernel adds the
 * rows, in their order, as the accumulators would; settle() hands its sums to the accumulators.
 * Without WebAssembly the rows go to the accumulators one by one.
 */
class MomentCollector {
  readonly groupIds = new Map<string, number>();
  readonly layout: ScaleLayout[][];
  readonly problems: ReliabilityReport['problems'] = [];
  problemCount = 0;
  rows = 0;
  private readonly scratch: ItemValues[];
  /** Each plan's batch reader for one-digit answers (src/io/fast-csv.ts DigitRows), if it has one. */
  private readonly digitRows: Array<DigitRows | undefined>;
  private readonly kernel = WasmMoments.create();
  /** [plan][scale]: the kernel's per-group states. */
  private readonly tables: StateTable[][] | undefined;
  private groupOf = new Int32Array(1024);

  constructor(
    private readonly plans: readonly ScoringPlan[],
    selected: readonly Scale[][],
    private readonly byIndex: number,
    private readonly listwise: boolean,
  ) {
    this.layout = plans.map((plan, k) => {
      const position = new Map(plan.instrument.items.map((it, i) => [it.id, i]));
      const { min, max } = plan.instrument.responseScale;
      return selected[k]!.map((scale) => {
        const columns = scale.items.map((id) => position.get(id)!);
        return { scale, columns, shift: new Float64Array(columns.length).fill((min + max) / 2), accs: [] as MomentAccumulator[] };
      });
    });
    this.scratch = plans.map(newItemValues);
    this.digitRows = plans.map((p) => digitRowsFor(p, true, false));
    const kernel = this.kernel;
    this.tables = kernel && this.layout.map((ls) => ls.map((l) => kernel.table(l.columns, l.shift, listwise)));
  }

  accumulator(l: ScaleLayout, group: number): MomentAccumulator {
    return (l.accs[group] ??= new MomentAccumulator(l.columns.length, l.shift));
  }

  /** The row's values of scale l into its group's accumulator, unless it has no answer on the scale (or, listwise, misses one). */
  private addRow(l: ScaleLayout, group: number, values: Float64Array, offset: number, whole: boolean): void {
    const cols = l.columns;
    // The whole instrument answered (most rows) answers every scale.
    if (!whole) {
      let answered = 0;
      for (let j = 0; j < cols.length; j++) if (values[offset + cols[j]!]! === values[offset + cols[j]!]!) answered++;
      if (answered === 0 || (this.listwise && answered < cols.length)) return;
    }
    this.accumulator(l, group).addColumns(values, cols, offset);
  }

  /** Reads a record's items the general way, counting and keeping its problems. */
  private readRecord(k: number, record: CsvRecord): ItemValues {
    const plan = this.plans[k]!;
    const items = readItems(plan, record, this.scratch[k]);
    if (items.problems.length > 0) {
      this.problemCount += items.problems.length;
      for (const problem of items.problems) if (this.problems.length < MAX_KEPT_PROBLEMS) this.problems.push({ line: record.line, instrument: plan.instrument.id, problem });
    }
    return items;
  }

  add(batch: RecordBatch): void {
    const { plans, layout, byIndex, groupIds, digitRows, kernel, tables } = this;
    const nrec = batch.length;
    // Each row's group, first (the kernel's states for a new group are made before its rows are read).
    if (this.groupOf.length < nrec) this.groupOf = new Int32Array(Math.max(nrec, 2 * this.groupOf.length));
    const groupOf = this.groupOf;
    if (byIndex >= 0) {
      for (let r = 0; r < nrec; r++) {
        const label = cellText(batch.at(r), byIndex).trim();
        let id = groupIds.get(label);
        if (id === undefined) groupIds.set(label, (id = groupIds.size));
        groupOf[r] = id;
      }
    } else groupOf.fill(0, 0, nrec);
    if (kernel && tables) for (const ts of tables) for (const t of ts) kernel.ensureGroup(t, Math.max(1, groupIds.size) - 1);
    const buffers = kernel?.rowBuffers(nrec, plans.map((p) => p.columns.length));
    const read = digitRows.map((d, k) => {
      if (d === undefined) return undefined;
      if (buffers) d.values = buffers[k]!.values;
      return d.read(batch) ? d : undefined;
    });
    // Row by row, what DigitRows did not read: read here, into the kernel's buffer (without
    // WebAssembly, every row's values go to the accumulators here).
    for (let r = 0; r < nrec; r++) {
      const group = groupOf[r]!;
      for (let k = 0; k < plans.length; k++) {
        const rows = read[k];
        const n = plans[k]!.columns.length;
        if (rows !== undefined && rows.answered[r]! >= 0) {
          if (!buffers) for (const l of layout[k]!) this.addRow(l, group, rows.values, r * n, rows.answered[r] === n);
          continue;
        }
        const items = this.readRecord(k, batch.at(r));
        if (buffers) buffers[k]!.values.set(items.values.subarray(0, n), r * n);
        else for (const l of layout[k]!) this.addRow(l, group, items.values, 0, items.answered === n);
      }
    }
    this.rows += nrec;
    if (!buffers) return;
    if (byIndex >= 0) for (const b of buffers) b.groups.set(groupOf.subarray(0, nrec));
    // A few hundred rows at a time through every scale, while they are in the cache.
    for (let r0 = 0; r0 < nrec; r0 += TILE) {
      const r1 = Math.min(nrec, r0 + TILE);
      plans.forEach((plan, k) => {
        for (const table of tables![k]!) kernel!.add(table, buffers[k]!, plan.columns.length, r0, r1, byIndex >= 0);
      });
    }
  }

  /** Merges the kernel's sums into the accumulators (and empties the kernel's states). */
  settle(): void {
    const { kernel, tables } = this;
    if (!kernel || !tables) return;
    this.layout.forEach((ls, k) =>
      ls.forEach((l, i) => {
        const table = tables[k]![i]!;
        for (let g = 0; g < table.states.length; g++) {
          const sums = kernel.take(table, g);
          if (sums) this.accumulator(l, g).addSums(sums);
        }
      }),
    );
  }

  /** What a worker hands back: counts, kept problems, group labels by id, and each accumulator's sums. */
  result(): MomentsPartResult {
    this.settle();
    return {
      rows: this.rows,
      problemCount: this.problemCount,
      problems: this.problems,
      groups: [...this.groupIds.keys()],
      sums: this.layout.map((ls) => ls.map((l) => l.accs.map((a) => (a ? a.sums() : null)))),
    };
  }

  /** Adds the rows of a later part of the file (their problems after this part's). */
  merge(o: MomentsPartResult): void {
    this.rows += o.rows;
    this.problemCount += o.problemCount;
    for (const p of o.problems) if (this.problems.length < MAX_KEPT_PROBLEMS) this.problems.push(p);
    // Without --by every row is in group 0, and there are no labels.
    const ids = this.byIndex < 0 ? [0] : o.groups.map((label) => {
      let id = this.groupIds.get(label);
      if (id === undefined) this.groupIds.set(label, (id = this.groupIds.size));
      return id;
    });
    o.sums.forEach((ls, k) =>
      ls.forEach((groups, i) =>
        groups.forEach((sums, g) => {
          if (sums) this.accumulator(this.layout[k]![i]!, ids[g]!).addSums(sums);
        }),
      ),
    );
  }
}

/** What a worker thread needs to collect moments on the second part of a file (src/parallel). */
export interface MomentsPartArgs extends PartInput {
  /** Ids of the selected scales of each instrument. */
  scales: string[][];
  byIndex: number;
  listwise: boolean;
}

export interface MomentsPartResult {
  rows: number;
  problemCount: number;
  problems: ReliabilityReport['problems'];
  groups: string[];
  /** [instrument][selected scale][group id]: the accumulator's sums, null where the group had no row. */
  sums: Array<Array<Array<MomentSums | null>>>;
}

/** The worker's side: the moments of its part's rows. */
export async function momentsPart(args: MomentsPartArgs, batches: AsyncIterable<RecordBatch>): Promise<MomentsPartResult> {
  const plans = partPlans(args);
  const selected = args.instruments.map((inst, k) => args.scales[k]!.map((id) => inst.scales.find((s) => s.id === id)!));
  const collector = new MomentCollector(plans, selected, args.byIndex, args.listwise);
  for await (const batch of batches) collector.add(batch);
  return collector.result();
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
