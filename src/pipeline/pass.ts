/**
 * One pass over the input: each batch of records is scored once, for every instrument, and handed
 * to every consumer the command needs (the score rows' writer, the reliability moments, the
 * trajectory tables, …). A consumer says what it needs of each instrument (item values, scale
 * scores), so the scorer computes nothing no one reads. Adding a consumer touches no reader and no
 * other consumer.
 */
import { ArrayBatch, ArrayRecord } from '../input/records.js';
import type { TableSource } from '../input/table.js';
import { BatchScorer, type Consumer, type ScoredBatch } from '../scoring/batch.js';
import type { ScoringPlan } from '../scoring/plan.js';

export type { Consumer, ScoredBatch };

export interface PassOptions {
  /** Rewrites each record's cells before it is scored (pseudonymisation). */
  transform?: (fields: string[]) => void;
  /** Told now and then how many bytes of the input were read. */
  onProgress?: (bytes: number) => void;
}

/** Runs the pass; returns the number of data rows read. */
export async function runPass(table: TableSource, plans: readonly ScoringPlan[], consumers: readonly Consumer[], opts: PassOptions = {}): Promise<number> {
  const scorers = plans.map((plan, k) => {
    const wanted = consumers.map((c) => c.needs?.(k) ?? {});
    return new BatchScorer(plan, { values: wanted.some((w) => w.values === true), scales: wanted.some((w) => w.scales === true) });
  });
  const { transform, onProgress } = opts;
  let rows = 0;
  for await (const read of table.batches) {
    let records = read;
    if (transform) {
      const rewritten: ArrayRecord[] = [];
      for (let j = 0; j < read.length; j++) {
        const r = read.at(j);
        const fields = [...r.fields];
        transform(fields);
        rewritten.push(new ArrayRecord(fields, r.line));
      }
      records = new ArrayBatch(rewritten);
    }
    const n = records.length;
    for (const c of consumers) c.prepare?.(n);
    const scores = scorers.map((s, k) => {
      let lent: Float64Array | undefined;
      for (const c of consumers) lent ??= c.valuesBuffer?.(k, n);
      return s.score(records, lent);
    });
    const batch: ScoredBatch = { records, length: n, scores };
    for (const c of consumers) await c.add(batch);
    rows += records.length;
    onProgress?.(table.bytesRead());
  }
  return rows;
}
