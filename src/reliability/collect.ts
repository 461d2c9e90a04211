/**
 * The streaming pass of `rapport reliability` (src/jobs/reliability.ts): every row's item values
 * into one-pass moment accumulators per scale and group, on the main thread for the first part of
 * a file and in a worker for the second (src/parallel). A module of its own so the worker loads the
 * pass alone, not the analysis (alpha, omega, their decompositions and quantiles).
 */
import type { Scale } from '../instrument/types.js';
import type { CsvRecord, RecordBatch } from '../io/csv-read.js';
import { cellText, type DigitRows } from '../io/fast-csv.js';
import { type PartInput, partPlans } from '../parallel/parts.js';
import { digitRowsFor, type ItemValues, newItemValues, readItems, type ScoringPlan } from '../scoring/score.js';
import { MomentAccumulator, type MomentSums } from '../stats/moments.js';
import { type StateTable, WasmMoments } from '../stats/wasm-moments.js';
import type { ReliabilityReport } from './report.js';

/** Problems kept for the report (all are counted). */
export const MAX_KEPT_PROBLEMS = 10_000;

/** One instrument's selected scales: their item positions and one accumulator per group. */
export interface ScaleLayout {
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
export class MomentCollector {
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
    plans.forEach((plan, k) => {
      for (const table of tables![k]!) kernel!.add(table, buffers[k]!, plan.columns.length, nrec, byIndex >= 0);
    });
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
