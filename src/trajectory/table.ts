/**
 * Administrations held column by column: what `rapport trajectories` reads from a file. A million
 * administrations as objects were a million allocations kept to the end (a second of garbage
 * collection); as typed arrays and two tables of distinct ids they are a few allocations. Its
 * series follow the plain definition of the rules (test/trajectory/table.test.ts). Pure.
 */
import { grown } from '../typed-arrays.js';
import type { Administration, BuiltSeries, ClientSeries, DuplicateSession, Observation } from './series.js';

/** Distinct strings numbered in the order they first occur. */
class StringIds {
  readonly strings: string[] = [];
  private readonly ids = new Map<string, number>();
  private last: string | undefined;
  private lastId = -1;

  id(s: string): number {
    // Long files repeat an id row after row (often the very same string): no lookup then.
    if (s === this.last) return this.lastId;
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.ids.set(s, id);
      this.strings.push(s);
    }
    this.last = s;
    this.lastId = id;
    return id;
  }
}

export class AdminTable {
  length = 0;
  private readonly clientIds = new StringIds();
  private readonly therapistIds = new StringIds();
  private client = new Int32Array(1024);
  private therapist = new Int32Array(1024);
  private session = new Float64Array(1024);
  private score = new Float64Array(1024);
  private line = new Int32Array(1024);

  private reserve(n: number): void {
    if (this.length + n <= this.client.length) return;
    const size = this.length + n;
    this.client = grown(this.client, size);
    this.therapist = grown(this.therapist, size);
    this.session = grown(this.session, size);
    this.score = grown(this.score, size);
    this.line = grown(this.line, size);
  }

  /** A table of these administrations, in order. */
  static of(rows: readonly Administration[]): AdminTable {
    const t = new AdminTable();
    for (const r of rows) t.push(r.client, r.session, r.score, r.therapist, r.line);
    return t;
  }

  /** Adds an administration (score null: none); its index is the table's length before. */
  push(client: string, session: number, score: number | null, therapist: string, line: number): void {
    this.reserve(1);
    const i = this.length++;
    this.client[i] = this.clientIds.id(client);
    this.therapist[i] = this.therapistIds.id(therapist);
    this.session[i] = session;
    this.score[i] = score === null ? Number.NaN : score;
    this.line[i] = line;
  }

  /** Administration i as an object (index i). */
  admin(i: number): Administration {
    const s = this.score[i]!;
    return { client: this.clientIds.strings[this.client[i]!]!, session: this.session[i]!, score: s === s ? s : null, therapist: this.therapistIds.strings[this.therapist[i]!]!, line: this.line[i]!, index: i };
  }

  /** All administrations as objects, in order. */
  toAdministrations(): Administration[] {
    return Array.from({ length: this.length }, (_, i) => this.admin(i));
  }

  /** Gives administrations without a therapist the one `base` names for their client (REDCap base rows). */
  fillTherapists(base: ReadonlyMap<string, string>): void {
    if (base.size === 0) return;
    const none = this.therapistIds.id('');
    for (let i = 0; i < this.length; i++) {
      if (this.therapist[i] !== none) continue;
      const t = base.get(this.clientIds.strings[this.client[i]!]!);
      if (t !== undefined) this.therapist[i] = this.therapistIds.id(t);
    }
  }

  /** The lowest and highest session, or null when there is no administration. */
  sessionRange(): [number, number] | null {
    if (this.length === 0) return null;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < this.length; i++) {
      lo = Math.min(lo, this.session[i]!);
      hi = Math.max(hi, this.session[i]!);
    }
    return [lo, hi];
  }

  /**
   * buildSeries for these administrations: grouped by client in the order clients first occur;
   * a session given more than once is reported and all its rows left out; the therapist is the one
   * on most of the client's rows (first seen on a tie); `first` is the administration of the first
   * valid score.
   */
  buildSeries(): BuiltSeries {
    const n = this.length;
    const nClients = this.clientIds.strings.length;
    const { client, session, score, therapist, line } = this;
    // Each client's rows, in file order: counted, then placed (a counting sort on the client id).
    const start = new Int32Array(nClients + 1);
    for (let i = 0; i < n; i++) start[client[i]! + 1]!++;
    for (let c = 0; c < nClients; c++) start[c + 1]! += start[c]!;
    const next = start.slice(0, nClients);
    const rows = new Int32Array(n);
    for (let i = 0; i < n; i++) rows[next[client[i]!]!++] = i;

    const noTherapist = this.therapistIds.strings.indexOf('');
    const series: ClientSeries[] = [];
    const duplicates: DuplicateSession[] = [];
    const multiTherapist: string[] = [];
    for (let c = 0; c < nClients; c++) {
      const from = start[c]!;
      const to = start[c + 1]!;
      if (to === from) continue; // a client id met only through --event-map or a base row
      const name = this.clientIds.strings[c]!;
      let increasing = true;
      for (let p = from + 1; p < to && increasing; p++) increasing = session[rows[p]!]! > session[rows[p - 1]!]!;
      const observations: Observation[] = [];
      let first = -1;
      const take = (i: number) => {
        const s = score[i]!;
        if (s !== s) return;
        observations.push({ session: session[i]!, score: s });
        if (first < 0 || session[i]! < session[first]!) first = i;
      };
      if (increasing) {
        for (let p = from; p < to; p++) take(rows[p]!);
      } else {
        // Sessions in the order they first occur, each with its rows.
        const bySession = new Map<number, number[]>();
        for (let p = from; p < to; p++) {
          const i = rows[p]!;
          const list = bySession.get(session[i]!);
          if (list) list.push(i);
          else bySession.set(session[i]!, [i]);
        }
        for (const [s, list] of bySession) {
          if (list.length > 1) duplicates.push({ client: name, session: s, lines: list.map((i) => line[i]!) });
          else take(list[0]!);
        }
        observations.sort((a, b) => a.session - b.session);
      }
      // The therapist on most rows (the first seen on a tie; none if no row names one).
      let only = -1;
      let one = true;
      for (let p = from; p < to; p++) {
        const t = therapist[rows[p]!]!;
        if (t === noTherapist) continue;
        if (only < 0) only = t;
        else if (t !== only) one = false;
      }
      let main = only;
      if (!one) {
        const counts = new Map<number, number>();
        for (let p = from; p < to; p++) {
          const t = therapist[rows[p]!]!;
          if (t !== noTherapist) counts.set(t, (counts.get(t) ?? 0) + 1);
        }
        let best = 0;
        for (const [t, k] of counts) if (k > best) [main, best] = [t, k];
        multiTherapist.push(name);
      }
      series.push({ client: name, therapist: main < 0 ? '' : this.therapistIds.strings[main]!, observations, administrations: to - from, first: first < 0 ? null : this.admin(first) });
    }
    return { series, duplicates, multiTherapist };
  }
}

/**
 * Groups administrations by client (see BuiltSeries). The rules are written once, in
 * AdminTable.buildSeries (the administrations column by column, as the job keeps them); each
 * series' `first` here is the caller's own object.
 */
export function buildSeries(rows: readonly Administration[]): BuiltSeries {
  const built = AdminTable.of(rows).buildSeries();
  for (const s of built.series) if (s.first) s.first = rows[s.first.index!]!;
  return built;
}
