/**
 * The client (cluster) side of reliability, a consumer of the same pass as the moments
 * (src/reliability/consumer.ts): for each selected scale (and --by group), each client's sum and
 * count of complete rows on the scale, and each row's client for a bootstrap that resamples
 * clients. With the moments' complete-case covariance these are the two-level model's sufficient
 * statistics (src/stats/twolevel.ts): O(clients × items) memory, no second reading of the rows.
 *
 * A row without a client id counts as a client of its own (a cluster of one row), and is counted.
 */
import { RepeatedCell } from '../input/csv-batch.js';
import type { ScoredBatch } from '../scoring/batch.js';
import type { ScoringPlan } from '../scoring/plan.js';
import type { ScaleLayout } from './consumer.js';

/** One scale and group: the clients' sums (shifted by the scale's shift) and counts of complete rows. */
export class ClientSums {
  /** Client index (over the file) → slot here: a table when every client may be here (no --by), else a map. */
  private readonly slotMap: Map<number, number> | undefined;
  private slotOf = new Int32Array(0);
  sums = new Float64Array(0);
  counts = new Int32Array(0);
  clients = 0;

  constructor(
    readonly k: number,
    sparse: boolean,
  ) {
    this.slotMap = sparse ? new Map() : undefined;
  }

  /** Lets the sums go once the two-level statistics are taken from them. */
  release(): void {
    this.sums = new Float64Array(0);
    this.counts = new Int32Array(0);
    this.slotOf = new Int32Array(0);
    this.slotMap?.clear();
  }

  slot(client: number): number {
    let s: number | undefined;
    if (this.slotMap) s = this.slotMap.get(client);
    else {
      if (client >= this.slotOf.length) {
        const grown = new Int32Array(Math.max(1024, 2 * this.slotOf.length, client + 1)).fill(-1);
        grown.set(this.slotOf);
        this.slotOf = grown;
      }
      s = this.slotOf[client]!;
      if (s < 0) s = undefined;
    }
    if (s === undefined) {
      s = this.clients++;
      if (this.slotMap) this.slotMap.set(client, s);
      else this.slotOf[client] = s;
      if (s >= this.counts.length) {
        const size = Math.max(64, 2 * this.counts.length);
        const sums = new Float64Array(size * this.k);
        sums.set(this.sums);
        const counts = new Int32Array(size);
        counts.set(this.counts);
        this.sums = sums;
        this.counts = counts;
      }
    }
    return s;
  }
}

export class ClusterConsumer {
  readonly clientIds = new Map<string, number>();
  readonly groupIds = new Map<string, number>();
  /** [plan][scale][group] */
  readonly sums: ClientSums[][][];
  /** Rows without a client id (each counted as a client of its own). */
  rowsWithoutClient = 0;
  /** Each row's client, in file order (for --boot), when asked for. */
  rowClients: Int32Array;
  rows = 0;
  private readonly clientCell: RepeatedCell;
  private readonly groupCell: RepeatedCell | undefined;
  private lastClient = '';
  private rowClient = new Int32Array(0);
  private rowGroup = new Int32Array(0);
  private lastIndex = -1;

  constructor(
    private readonly plans: readonly ScoringPlan[],
    private readonly layout: readonly (readonly ScaleLayout[])[],
    clientIndex: number,
    byIndex: number,
    private readonly keepRowClients: boolean,
  ) {
    this.clientCell = new RepeatedCell(clientIndex);
    this.groupCell = byIndex >= 0 ? new RepeatedCell(byIndex) : undefined;
    this.sums = layout.map((ls) => ls.map(() => []));
    this.rowClients = new Int32Array(keepRowClients ? 1024 : 0);
  }

  needs(k: number): { values: boolean } {
    return { values: this.layout[k]!.length > 0 };
  }

  private clientOf(label: string): number {
    if (label === '') {
      this.rowsWithoutClient++;
      const id = this.clientIds.size;
      this.clientIds.set(`\u0000${this.rowsWithoutClient}`, id);
      return id;
    }
    if (label === this.lastClient && this.lastIndex >= 0) return this.lastIndex;
    let id = this.clientIds.get(label);
    if (id === undefined) this.clientIds.set(label, (id = this.clientIds.size));
    this.lastClient = label;
    this.lastIndex = id;
    return id;
  }

  add(batch: ScoredBatch): void {
    const { plans, layout, sums } = this;
    const n = batch.length;
    if (this.keepRowClients && this.rows + n > this.rowClients.length) {
      const grown = new Int32Array(Math.max(this.rows + n, 2 * this.rowClients.length));
      grown.set(this.rowClients);
      this.rowClients = grown;
    }
    // Each row's client and group first; then each scale's complete rows, a scale at a time.
    if (this.rowClient.length < n) {
      this.rowClient = new Int32Array(Math.max(n, 2 * this.rowClient.length));
      this.rowGroup = new Int32Array(this.rowClient.length);
    }
    const { rowClient, rowGroup } = this;
    for (let r = 0; r < n; r++) {
      const record = batch.records.at(r);
      const client = this.clientOf(this.clientCell.get(record).trim());
      rowClient[r] = client;
      if (this.keepRowClients) this.rowClients[this.rows + r] = client;
      if (this.groupCell) {
        const label = this.groupCell.get(record).trim();
        let g = this.groupIds.get(label);
        if (g === undefined) this.groupIds.set(label, (g = this.groupIds.size));
        rowGroup[r] = g;
      } else rowGroup[r] = 0;
    }
    const sparse = this.groupCell !== undefined;
    for (let k = 0; k < plans.length; k++) {
      const ls = layout[k]!;
      if (ls.length === 0) continue;
      const values = batch.scores[k]!.values;
      const ni = plans[k]!.columns.length;
      for (let i = 0; i < ls.length; i++) {
        const { columns, shift } = ls[i]!;
        const kk = columns.length;
        const groups = sums[k]![i]!;
        for (let r = 0, offset = 0; r < n; r++, offset += ni) {
          let complete = true;
          for (let j = 0; j < kk; j++) {
            const v = values[offset + columns[j]!]!;
            if (v !== v) {
              complete = false;
              break;
            }
          }
          if (!complete) continue;
          const acc = (groups[rowGroup[r]!] ??= new ClientSums(kk, sparse));
          const s = acc.slot(rowClient[r]!);
          acc.counts[s]!++;
          const base = s * kk;
          const out = acc.sums;
          for (let j = 0; j < kk; j++) out[base + j]! += values[offset + columns[j]!]! - shift[j]!;
        }
      }
    }
    this.rows += n;
  }
}
