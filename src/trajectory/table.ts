/**
 * Administrations held column by column (client, session, therapist, line, and a score column per
 * measure followed): what the trajectory consumer reads from a file once for every measure. A
 * million administrations as objects were a million allocations kept to the end; as typed arrays
 * and two tables of distinct ids they are a few. Its series follow the plain definition of the
 * rules (test/trajectory/table.test.ts). Pure.
 */
import { grown } from '../typed-arrays.js';
import type { Administration, BuiltSeries, DuplicateSession, SeriesSet } from './series.js';

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
  private line = new Int32Array(1024);
  /** The day number of each administration's date (NaN: none); made when the first date is set. */
  private day: Float64Array | undefined;
  /** Each measure's score of every administration (NaN: none). */
  readonly scores: Float64Array[];

  /** A table of administrations with `measures` score columns. */
  constructor(measures = 1) {
    this.scores = Array.from({ length: measures }, () => new Float64Array(1024));
  }

  private reserve(n: number): void {
    if (this.length + n <= this.client.length) return;
    const size = this.length + n;
    this.client = grown(this.client, size);
    this.therapist = grown(this.therapist, size);
    this.session = grown(this.session, size);
    this.line = grown(this.line, size);
    if (this.day) this.day = grown(this.day, size);
    for (let m = 0; m < this.scores.length; m++) this.scores[m] = grown(this.scores[m]!, size);
  }

  /** A one-measure table of these administrations, in order. */
  static of(rows: readonly Administration[]): AdminTable {
    const t = new AdminTable();
    for (const r of rows) t.push(r.client, r.session, r.therapist, r.line, r.score ?? Number.NaN);
    return t;
  }

  /** Adds an administration with its first measure's score (NaN: none; the others start as none); returns its index. */
  push(client: string, session: number, therapist: string, line: number, score = Number.NaN): number {
    this.reserve(1);
    const i = this.length++;
    this.client[i] = this.clientIds.id(client);
    this.therapist[i] = this.therapistIds.id(therapist);
    this.session[i] = session;
    this.line[i] = line;
    if (this.day) this.day[i] = Number.NaN;
    this.scores[0]![i] = score;
    for (let m = 1; m < this.scores.length; m++) this.scores[m]![i] = Number.NaN;
    return i;
  }

  /**
   * Numbers each client's administrations 1, 2, … in the order of their dates (the dates must be
   * set). Two administrations of a client on one date get the same number, so they are reported as
   * a duplicated session and left out, never ordered by a guess.
   */
  numberSessionsByDate(): void {
    const byClient = new Map<number, number[]>();
    for (let i = 0; i < this.length; i++) {
      const c = this.client[i]!;
      let list = byClient.get(c);
      if (!list) byClient.set(c, (list = []));
      list.push(i);
    }
    for (const list of byClient.values()) {
      const days = [...new Set(list.map((i) => this.dayOf(i)))].sort((a, b) => a - b);
      const rank = new Map(days.map((d, r) => [d, r + 1]));
      for (const i of list) this.session[i] = rank.get(this.dayOf(i))!;
    }
  }

  /** Sets administration i's date (a day number, src/input/dates.ts). */
  setDay(i: number, day: number): void {
    if (!this.day) this.day = new Float64Array(this.client.length).fill(Number.NaN);
    this.day[i] = day;
  }

  private dayOf(i: number): number {
    return this.day ? this.day[i]! : Number.NaN;
  }

  /** The latest day of any administration, or NaN when none has a date. */
  latestDay(): number {
    let latest = Number.NaN;
    if (!this.day) return latest;
    for (let i = 0; i < this.length; i++) {
      const d = this.day[i]!;
      if (d === d && !(d <= latest)) latest = d;
    }
    return latest;
  }

  /** The earliest day of any administration, or NaN when none has a date. */
  earliestDay(): number {
    let earliest = Number.NaN;
    if (!this.day) return earliest;
    for (let i = 0; i < this.length; i++) {
      const d = this.day[i]!;
      if (d === d && !(d >= earliest)) earliest = d;
    }
    return earliest;
  }

  /**
   * Each client's latest administration: the highest session (any row, scored or not), its date
   * (the latest among that session's rows) and the administrations at that session.
   */
  latestByClient(): Map<string, { session: number; day: number; admins: number[] }> {
    const out = new Map<string, { session: number; day: number; admins: number[] }>();
    for (let i = 0; i < this.length; i++) {
      const name = this.clientIds.strings[this.client[i]!]!;
      const s = this.session[i]!;
      const d = this.dayOf(i);
      const cur = out.get(name);
      if (!cur || s > cur.session) out.set(name, { session: s, day: d, admins: [i] });
      else if (s === cur.session) {
        cur.admins.push(i);
        if (d === d && !(d <= cur.day)) cur.day = d;
      }
    }
    return out;
  }

  /** Administration i's session, line and date (NaN: none). */
  where(i: number): { session: number; line: number; day: number } {
    return { session: this.session[i]!, line: this.line[i]!, day: this.dayOf(i) };
  }

  /** Administration i as an object, with measure m's score. */
  admin(i: number, m = 0): Administration {
    const s = this.scores[m]![i]!;
    return { client: this.clientIds.strings[this.client[i]!]!, session: this.session[i]!, score: s === s ? s : null, therapist: this.therapistIds.strings[this.therapist[i]!]!, line: this.line[i]!, index: i };
  }

  /** All administrations as objects, in order, with measure m's scores. */
  toAdministrations(m = 0): Administration[] {
    return Array.from({ length: this.length }, (_, i) => this.admin(i, m));
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
   * Measure m's series of these administrations (BuiltSeries): grouped by client in the order clients first
   * occur; a session given more than once is reported and all its rows left out; the therapist is
   * the one on most of the client's rows (first seen on a tie); `first` is the administration of the
   * first valid score.
   */
  buildSeries(m = 0): BuiltSeries {
    const n = this.length;
    const nClients = this.clientIds.strings.length;
    const { client, session, therapist, line } = this;
    const score = this.scores[m]!;
    // Each client's rows, in file order: counted, then placed (a counting sort on the client id).
    const start = new Int32Array(nClients + 1);
    for (let i = 0; i < n; i++) start[client[i]! + 1]!++;
    for (let c = 0; c < nClients; c++) start[c + 1]! += start[c]!;
    const next = start.slice(0, nClients);
    const rows = new Int32Array(n);
    for (let i = 0; i < n; i++) rows[next[client[i]!]!++] = i;

    const noTherapist = this.therapistIds.strings.indexOf('');
    const out = {
      client: [] as string[],
      therapist: [] as string[],
      administrations: new Int32Array(nClients),
      first: new Int32Array(nClients),
      start: new Int32Array(nClients + 1),
      session: new Float64Array(n),
      score: new Float64Array(n),
    };
    let k = 0; // observations written
    let w = 0; // series written
    const duplicates: DuplicateSession[] = [];
    const multiTherapist: string[] = [];
    const pairs: Array<[number, number]> = [];
    for (let c = 0; c < nClients; c++) {
      const from = start[c]!;
      const to = start[c + 1]!;
      if (to === from) continue; // a client id met only through --event-map or a base row
      const name = this.clientIds.strings[c]!;
      let increasing = true;
      for (let p = from + 1; p < to && increasing; p++) increasing = session[rows[p]!]! > session[rows[p - 1]!]!;
      let first = -1;
      const begin = k;
      if (increasing) {
        for (let p = from; p < to; p++) {
          const i = rows[p]!;
          const s = score[i]!;
          if (s !== s) continue;
          out.session[k] = session[i]!;
          out.score[k++] = s;
          if (first < 0) first = i;
        }
      } else {
        // Sessions in the order they first occur, each with its rows.
        const bySession = new Map<number, number[]>();
        for (let p = from; p < to; p++) {
          const i = rows[p]!;
          const list = bySession.get(session[i]!);
          if (list) list.push(i);
          else bySession.set(session[i]!, [i]);
        }
        pairs.length = 0;
        for (const [s, list] of bySession) {
          if (list.length > 1) duplicates.push({ client: name, session: s, lines: list.map((i) => line[i]!) });
          else if (score[list[0]!]! === score[list[0]!]!) {
            const i = list[0]!;
            pairs.push([session[i]!, score[i]!]);
            if (first < 0 || session[i]! < session[first]!) first = i;
          }
        }
        pairs.sort((a, b) => a[0] - b[0]);
        for (const [s, v] of pairs) {
          out.session[k] = s;
          out.score[k++] = v;
        }
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
        for (const [t, x] of counts) if (x > best) [main, best] = [t, x];
        multiTherapist.push(name);
      }
      out.client.push(name);
      out.therapist.push(main < 0 ? '' : this.therapistIds.strings[main]!);
      out.administrations[w] = to - from;
      out.first[w] = first;
      out.start[w] = begin;
      out.start[++w] = k;
    }
    const series: SeriesSet = {
      client: out.client,
      therapist: out.therapist,
      administrations: out.administrations.subarray(0, w),
      first: out.first.subarray(0, w),
      start: out.start.subarray(0, w + 1),
      session: out.session.subarray(0, k),
      score: out.score.subarray(0, k),
    };
    return { series, duplicates, multiTherapist };
  }
}
