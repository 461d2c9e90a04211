/**
 * The clients who need a closer look: one entry per client, whatever the number of measures, with
 * every reason in a fixed order of urgency and the facts behind each. Pure.
 *
 *   critical_item          the latest administration met an instrument's risk-item rule
 *   not_on_track           the latest score of an outcome measure is off track (src/trajectory/etr.ts)
 *   reliable_deterioration an outcome (or other, not alliance) measure got reliably worse (Jacobson &
 *                          Truax, or the measure's published criterion). For the alliance, session-to-
 *                          session noise is much larger than internal consistency implies, so an
 *                          alpha-based RCI flags many clients by chance: its reason is the rupture.
 *   unrepaired_rupture     an alliance rupture not repaired, the alliance still reliably below its earlier level
 *   no_recent_session      (with --inactive-days N) not seen in the N days before the latest date in the file
 *
 * A last score in the clinical range is context (`clinical`), not a reason: most clients start there.
 */
import { isoDay } from '../input/dates.js';
import { naturalOrder } from '../instrument/names.js';
import type { ClientTrajectory } from './analyse.js';
import type { TrajectoryReport } from './measure.js';

export const REASONS = ['critical_item', 'not_on_track', 'reliable_deterioration', 'unrepaired_rupture', 'no_recent_session'] as const;
export type Reason = (typeof REASONS)[number];

export interface AttentionEntry {
  client: string;
  therapist: string;
  lastSession: number;
  /** ISO date of the latest administration, or '' when it has none. */
  lastDate: string;
  reasons: Reason[];
  /** One line per reason and measure: which measure, value and session. */
  details: string[];
  /** Measures whose last score is in the clinical range (context). */
  clinical: string[];
}

export interface AttentionInput {
  /** Each client's latest administration (session and day number, NaN: no date). */
  latest: ReadonlyMap<string, { session: number; day: number }>;
  /** The latest date in the file (day number, NaN: none). */
  latestDay: number;
  measures: ReadonlyArray<{ label: string; report: TrajectoryReport }>;
  inactiveDays?: number;
}

const num = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));
const at = (session: number, day: number) => `session ${session}${day === day ? ` (${isoDay(day)})` : ''}`;

function clinicalNote(label: string, r: TrajectoryReport, c: ClientTrajectory): string | null {
  const cutoff = r.clinicalCutoff;
  if (cutoff === null || c.lastScore === null) return null;
  const last = c.lastScore;
  const equal = last === cutoff;
  const clinical = equal ? r.cutoffIsClinical : r.higherIsBetter ? last < cutoff : last > cutoff;
  if (!clinical) return null;
  const op = r.higherIsBetter ? (r.cutoffIsClinical ? '≤' : '<') : r.cutoffIsClinical ? '≥' : '>';
  return `${label} ${num(last)} (${op} ${cutoff})`;
}

export function buildAttention(input: AttentionInput): AttentionEntry[] {
  const entries = new Map<string, AttentionEntry & { found: Map<Reason, string[]> }>();
  const entry = (client: string, therapist: string) => {
    let e = entries.get(client);
    if (!e) {
      const latest = input.latest.get(client);
      e = { client, therapist, lastSession: latest?.session ?? Number.NaN, lastDate: latest && latest.day === latest.day ? isoDay(latest.day) : '', reasons: [], details: [], clinical: [], found: new Map() };
      entries.set(client, e);
    } else if (e.therapist === '' && therapist !== '') e.therapist = therapist;
    return e;
  };
  const flag = (client: string, therapist: string, reason: Reason, detail: string) => {
    const e = entry(client, therapist);
    const list = e.found.get(reason) ?? [];
    list.push(detail);
    e.found.set(reason, list);
  };
  const context = new Map<string, string[]>();
  const therapistOf = new Map<string, string>();

  for (const { label, report } of input.measures) {
    const clients = report.result.clients;
    for (const c of clients) if (c.therapist !== '' && !therapistOf.has(c.client)) therapistOf.set(c.client, c.therapist);
    for (const hit of report.critical) {
      flag(hit.client, therapistOf.get(hit.client) ?? '', 'critical_item', `${label} item ${hit.item} = ${num(hit.value)} (≥ ${hit.threshold}) at ${at(hit.session, hit.day)}: ${hit.message}`);
    }
    const etr = report.result.cohort.etr;
    for (const c of clients) {
      if (c.notOnTrack && etr && c.expectedLast !== null && c.bandLast !== null) {
        const limit = report.higherIsBetter ? c.expectedLast - c.bandLast : c.expectedLast + c.bandLast;
        flag(c.client, c.therapist, 'not_on_track', `${label} ${num(c.lastScore!)} at session ${c.lastSession}: expected ${num(c.expectedLast)}, off track ${report.higherIsBetter ? 'below' : 'above'} ${num(limit)}`);
      }
      if (c.reliableChange === 'deteriorated' && report.construct !== 'alliance') {
        flag(c.client, c.therapist, 'reliable_deterioration', `${label} ${num(c.firstScore!)} → ${num(c.lastScore!)} (sessions ${c.firstSession}–${c.lastSession}${c.rci !== null ? `, RCI ${c.rci.toFixed(2)}` : ''})`);
      }
      if (c.unresolved > 0 && c.ruptures !== null) {
        flag(c.client, c.therapist, 'unrepaired_rupture', `${label}: ${c.unresolved} rupture${c.unresolved === 1 ? '' : 's'} not repaired, last ${num(c.lastScore!)} at session ${c.lastSession} still reliably below the pre-rupture level`);
      }
      const note = clinicalNote(label, report, c);
      if (note) (context.get(c.client) ?? context.set(c.client, []).get(c.client)!).push(note);
    }
  }
  if (input.inactiveDays !== undefined && input.latestDay === input.latestDay) {
    for (const [client, latest] of input.latest) {
      if (!(latest.day === latest.day)) continue;
      const days = input.latestDay - latest.day;
      if (days > input.inactiveDays) flag(client, therapistOf.get(client) ?? '', 'no_recent_session', `last seen ${isoDay(latest.day)}, ${days} days before the latest date in the file (${isoDay(input.latestDay)})`);
    }
  }

  const out: AttentionEntry[] = [];
  for (const e of entries.values()) {
    const { found, ...rest } = e;
    for (const r of REASONS) {
      const d = found.get(r);
      if (!d) continue;
      rest.reasons.push(r);
      rest.details.push(...d);
    }
    rest.clinical = context.get(e.client) ?? [];
    if (rest.therapist === '') rest.therapist = therapistOf.get(e.client) ?? '';
    out.push(rest);
  }
  const rank = (e: AttentionEntry) => REASONS.indexOf(e.reasons[0]!);
  return out.sort((a, b) => rank(a) - rank(b) || b.reasons.length - a.reasons.length || naturalOrder(a.client, b.client));
}

/** Clients flagged for each reason (a client counts once per reason), and in all. */
export function attentionCounts(entries: readonly AttentionEntry[]): Record<Reason | 'clients', number> {
  const counts = Object.fromEntries([...REASONS, 'clients'].map((r) => [r, 0])) as Record<Reason | 'clients', number>;
  for (const e of entries) {
    counts.clients++;
    for (const r of e.reasons) counts[r]++;
  }
  return counts;
}
