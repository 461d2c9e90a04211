/**
 * The reliability of every selected scale (and group) from what the consumer collected: from the
 * one-pass moments; from the rows, for --boot and for a scale with an item without variance
 * (src/reliability/consumer.ts says when rows are kept).
 */
import type { ItemMatrix } from '../stats/item-matrix.js';
import { MomentAccumulator } from '../stats/moments.js';
import { naturalOrder } from '../instrument/names.js';
import { analyseMoments, analyseScale, type MissingMode } from './analyse.js';
import { type KeptRows, type ReliabilityConsumer, sortGroups } from './consumer.js';
import type { ScaleReport } from './report.js';
import type { ScoringPlan } from '../scoring/plan.js';
import type { ScaleReliability } from './analyse.js';
import type { ClusterConsumer } from './clusters.js';
import { multilevelReliability, multilevelWarnings } from './multilevel.js';

/** The kept rows of one group (all groups when `group` is undefined) with at least one answered item of the scale, and where they are among the kept rows. */
function scaleMatrix(kept: KeptRows, group: number | undefined, columns: readonly number[]): ItemMatrix & { at: number[] } {
  const { store, groups } = kept;
  const k = columns.length;
  const rows: number[] = [];
  for (let r = 0; r < store.rows; r++) {
    if (group !== undefined && groups[r] !== group) continue;
    if (columns.some((c) => !Number.isNaN(store.get(r, c)))) rows.push(r);
  }
  const values = new Float64Array(rows.length * k);
  rows.forEach((r, i) => columns.forEach((c, j) => (values[i * k + j] = store.get(r, c))));
  return { rows: rows.length, cols: k, values, at: rows };
}

export async function analyseCollected(
  consumer: ReliabilityConsumer,
  plans: readonly ScoringPlan[],
  opts: { missing: MissingMode; boot?: number; seed: number; grouped: boolean; clusters?: { consumer: ClusterConsumer; column: string } },
): Promise<ScaleReport[]> {
  consumer.settle();
  const { groupIds, layout, kept } = consumer;
  const labels = opts.grouped ? sortGroups([...groupIds.keys()], naturalOrder) : [undefined];
  const boot = opts.boot !== undefined && opts.boot > 0;
  const entries = plans.flatMap((plan, k) =>
    layout[k]!.flatMap((l) => labels.map((label) => ({ plan, k, l, label, id: label === undefined ? 0 : groupIds.get(label)!, names: l.scale.items.map((id, j) => `${id} (${plan.columnNames[l.columns[j]!]})`) }))),
  );
  // From the moments; but from the rows (where kept) for --boot, or for every scale when an item
  // of one has no variance (psych then takes raw.r over the row means of the other items).
  const moments = entries.map((e) => (e.l.accs[e.id] ?? new MomentAccumulator(e.l.columns.length, e.l.shift)).finish());
  const fromMoments = boot ? [] : entries.map((e, i) => analyseMoments(moments[i]!, e.names));
  const fromRows = boot || (fromMoments.some((r) => r.alpha.zeroVariance.length > 0) && entries.every((e) => kept[e.k] !== undefined));
  const scales: ScaleReport[] = [];
  for (const [i, e] of entries.entries()) {
    const clusters = opts.clusters?.consumer;
    const sums = clusters?.sums[e.k]![e.l === undefined ? 0 : layout[e.k]!.indexOf(e.l)]![e.label === undefined ? 0 : clusters.groupIds.get(e.label) ?? -1];
    const multilevel = clusters ? multilevelReliability(moments[i]!.complete, sums) : undefined;
    sums?.release();
    const nested = multilevel !== undefined && multilevel.rows > multilevel.clients;
    let result: ScaleReliability;
    if (fromRows) {
      const m = scaleMatrix(kept[e.k]!, e.label === undefined ? undefined : e.id, e.l.columns);
      const rowClients = nested && boot ? Int32Array.from(m.at, (r) => clusters!.rowClients[r]!) : undefined;
      result = await analyseScale(m, e.names, { missing: opts.missing, ...(boot ? { boot: opts.boot } : {}), seed: opts.seed, ...(rowClients ? { clusters: rowClients } : {}) });
    } else result = fromMoments[i]!;
    if (multilevel) {
      result.multilevel = multilevel;
      result.warnings.push(...multilevelWarnings(multilevel, opts.clusters!.column, boot));
    }
    scales.push({
      instrument: e.plan.instrument,
      scaleId: e.l.scale.id,
      ...(e.label === undefined ? {} : { group: e.label }),
      itemIds: [...e.l.scale.items],
      itemColumns: e.l.columns.map((c) => e.plan.columnNames[c]!),
      result,
    });
  }
  return scales;
}
