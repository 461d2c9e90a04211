/**
 * Reliability's consumer of a run (src/pipeline/pass.ts): each row's item values of each selected
 * scale go into one-pass moment accumulators per scale and group (rows with no answer on the scale
 * are left out, as psych does; with --missing listwise only complete rows go in). Where WebAssembly
 * is available the accumulators' sums live in the kernel's memory (src/stats/wasm-moments.ts) and
 * the kernel adds a batch's rows in their order, as the accumulators would; settle() hands its sums
 * to the accumulators. O(k²) memory per scale and group, whatever the number of rows.
 *
 * The rows themselves are kept only where a statistic needs them: every row for --boot (the
 * resamples); otherwise, while some item has not yet varied (psych drops an item without variance
 * and takes raw.r over the row means of the others, which moments of all items cannot give), which
 * in real data is the first batch or two, or throughout with --by (any group may lack variance).
 */
import type { Scale } from '../instrument/types.js';
import type { ItemProblem, ScoredBatch } from '../scoring/batch.js';
import type { ScoringPlan } from '../scoring/plan.js';
import { RowStore } from '../stats/item-matrix.js';
import { MomentAccumulator } from '../stats/moments.js';
import { type StateTable, WasmMoments } from '../stats/wasm-moments.js';

/** Problems kept for the report (all are counted). */
export const MAX_KEPT_PROBLEMS = 10_000;

/** One instrument's selected scale: its item positions and one accumulator per group. */
export interface ScaleLayout {
  scale: Scale;
  columns: number[];
  shift: Float64Array;
  accs: MomentAccumulator[];
}

/** The rows of one instrument, kept: every item's value and each row's group. */
export interface KeptRows {
  store: RowStore;
  groups: number[];
}

export interface ReliabilityConsumerOptions {
  /** Column of --by, or -1. */
  byIndex: number;
  listwise: boolean;
  /** Keep every row (--boot). */
  keepRows: boolean;
}

export class ReliabilityConsumer {
  readonly groupIds = new Map<string, number>();
  readonly layout: ScaleLayout[][];
  readonly problems: Array<{ line: number; instrument: string; problem: ItemProblem }> = [];
  problemCount = 0;
  rows = 0;
  /** Per instrument: the rows kept, or undefined once they are not needed. */
  readonly kept: Array<KeptRows | undefined>;
  private readonly keepAll: boolean;
  /** Per instrument and item: a value seen, and whether another was seen since (NaN: none yet). */
  private readonly firstValue: Float64Array[];
  private readonly varied: Uint8Array[];
  private readonly kernel = WasmMoments.create();
  /** [plan][scale]: the kernel's per-group states. */
  private readonly tables: StateTable[][] | undefined;
  private groupOf = new Int32Array(1024);
  /** The kernel's buffers for the batch being scored (made in prepare), lent to the scorer. */
  private buffers: ReturnType<WasmMoments['rowBuffers']> | undefined;

  constructor(
    private readonly plans: readonly ScoringPlan[],
    selected: readonly Scale[][],
    private readonly opts: ReliabilityConsumerOptions,
  ) {
    this.layout = plans.map((plan, k) => {
      const position = new Map(plan.instrument.items.map((it, i) => [it.id, i]));
      const { min, max } = plan.instrument.responseScale;
      return selected[k]!.map((scale) => {
        const columns = scale.items.map((id) => position.get(id)!);
        return { scale, columns, shift: new Float64Array(columns.length).fill((min + max) / 2), accs: [] as MomentAccumulator[] };
      });
    });
    const kernel = this.kernel;
    this.tables = kernel && this.layout.map((ls) => ls.map((l) => kernel.table(l.columns, l.shift, opts.listwise)));
    // Without --by every row is in group 0: its states are made now, so the kernel's memory does not
    // grow while a batch's values lie in it (see prepare).
    if (kernel && this.tables && opts.byIndex < 0) for (const ts of this.tables) for (const t of ts) kernel.ensureGroup(t, 0);
    this.keepAll = opts.keepRows || opts.byIndex >= 0 || opts.listwise;
    this.kept = plans.map((p, k) => (selected[k]!.length > 0 ? { store: new RowStore(p.columns.length, RowStore.kindFor(p.instrument.responseScale)), groups: [] } : undefined));
    this.firstValue = plans.map((p) => new Float64Array(p.columns.length).fill(Number.NaN));
    this.varied = plans.map((p) => new Uint8Array(p.columns.length));
  }

  needs(k: number): { values: boolean } {
    return { values: this.layout[k]!.length > 0 };
  }

  accumulator(l: ScaleLayout, group: number): MomentAccumulator {
    return (l.accs[group] ??= new MomentAccumulator(l.columns.length, l.shift));
  }

  /** The row's values of scale l into its group's accumulator, unless it has no answer on the scale (or, listwise, misses one). */
  private addRow(l: ScaleLayout, group: number, values: Float64Array, offset: number): void {
    const cols = l.columns;
    let answered = 0;
    for (let j = 0; j < cols.length; j++) if (values[offset + cols[j]!]! === values[offset + cols[j]!]!) answered++;
    if (answered === 0 || (this.opts.listwise && answered < cols.length)) return;
    this.accumulator(l, group).addColumns(values, cols, offset);
  }

  /** Keeps the batch's rows of instrument k while they may be needed (see the module comment). */
  private keep(k: number, values: Float64Array, n: number, groupOf: Int32Array): void {
    const kept = this.kept[k];
    if (!kept) return;
    const ni = this.plans[k]!.columns.length;
    for (let r = 0; r < n; r++) {
      kept.store.push(values, undefined, r * ni);
      kept.groups.push(groupOf[r]!);
    }
    if (this.keepAll) return;
    const first = this.firstValue[k]!;
    const varied = this.varied[k]!;
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < ni; i++) {
        const v = values[r * ni + i]!;
        if (v !== v || varied[i]) continue;
        if (first[i]! !== first[i]!) first[i] = v;
        else if (v !== first[i]) varied[i] = 1;
      }
    }
    if (varied.every((x) => x === 1)) this.kept[k] = undefined;
  }

  /**
   * Makes the kernel's buffers for a batch of n rows before it is scored, so that the scorer writes
   * the values straight into the kernel's memory. Only without --by: a batch with a new group makes
   * new states, which may grow the memory and so detach the values the other consumers read.
   */
  prepare(n: number): void {
    this.buffers = this.kernel && this.opts.byIndex < 0 ? this.kernel.rowBuffers(n, this.plans.map((p) => p.columns.length)) : undefined;
  }

  valuesBuffer(k: number): Float64Array | undefined {
    return this.layout[k]!.length > 0 ? this.buffers?.[k]?.values : undefined;
  }

  add(batch: ScoredBatch): void {
    const { plans, layout, groupIds, kernel, tables } = this;
    const { byIndex } = this.opts;
    const nrec = batch.length;
    // Each row's group, first (the kernel's states for a new group are made before its rows are read).
    if (this.groupOf.length < nrec) this.groupOf = new Int32Array(Math.max(nrec, 2 * this.groupOf.length));
    const groupOf = this.groupOf;
    if (byIndex >= 0) {
      for (let r = 0; r < nrec; r++) {
        const label = batch.records.at(r).text(byIndex).trim();
        let id = groupIds.get(label);
        if (id === undefined) groupIds.set(label, (id = groupIds.size));
        groupOf[r] = id;
      }
    } else groupOf.fill(0, 0, nrec);
    if (kernel && tables) for (const ts of tables) for (const t of ts) kernel.ensureGroup(t, Math.max(1, groupIds.size) - 1);
    // (With --by, states for new groups may have grown the memory: the views are made after them.)
    const buffers = this.buffers ?? kernel?.rowBuffers(nrec, plans.map((p) => p.columns.length));
    for (let k = 0; k < plans.length; k++) {
      if (layout[k]!.length === 0) continue;
      const ps = batch.scores[k]!;
      const n = plans[k]!.columns.length;
      if (ps.problemCount > 0) {
        this.problemCount += ps.problemCount;
        for (let r = 0; r < nrec; r++) {
          for (const problem of ps.problems[r]!) if (this.problems.length < MAX_KEPT_PROBLEMS) this.problems.push({ line: batch.records.at(r).line, instrument: plans[k]!.instrument.id, problem });
        }
      }
      this.keep(k, ps.values, nrec, groupOf);
      if (buffers && tables) {
        // Values the scorer wrote into the buffer lent to it are in place already; others are copied in.
        if (ps.values.buffer !== buffers[k]!.values.buffer) buffers[k]!.values.set(ps.values.subarray(0, nrec * n));
        if (byIndex >= 0) buffers[k]!.groups.set(groupOf.subarray(0, nrec));
        for (const table of tables[k]!) kernel!.add(table, buffers[k]!, n, nrec, byIndex >= 0);
      } else {
        for (let r = 0; r < nrec; r++) for (const l of layout[k]!) this.addRow(l, groupOf[r]!, ps.values, r * n);
      }
    }
    this.rows += nrec;
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
}

/** Group labels in a natural order: numerically when every label is a number, else as text. */
export function sortGroups(labels: string[], naturalOrder: (a: string, b: string) => number): string[] {
  const numeric = labels.every((l) => l.trim() !== '' && Number.isFinite(Number(l)));
  return [...labels].sort((a, b) => (numeric ? Number(a) - Number(b) : naturalOrder(a, b)));
}
