/**
 * Everything `rapport trajectories` computes from a set of administrations. Pure: the job
 * (src/pipeline/trajectories.ts) reads the file and supplies the parameters and, when the RCI's
 * reliability must be estimated, Cronbach's alpha of the first administrations.
 */
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { classifyClinicalChange, classifyReliableChange, type ClinicalChange, isClinical, RCI_Z, type ReliableChange, standardErrorOfDifference } from './change.js';
import { findRuptures, pooledDifferenceSd, type RuptureEvent, type RuptureMethod } from './ruptures.js';
import { type BuiltSeries, type ClientSummary, type DuplicateSession, pointsOf, reorderSeries, type SeriesSet, summariseSeries } from './series.js';
import { findSuddenChanges } from './sudden.js';
import { naturalOrder } from '../instrument/names.js';
import type { AdminTable } from './table.js';
import { type IccResult, therapistIcc } from './therapist.js';

export interface TrajectoryParameters {
  higherIsBetter: boolean;
  /** Given SD for the RCI, else the SD of the clients' first scores. */
  sd?: number;
  /** The RCI's reliability and where it came from; null when there is none usable (no RCI then). */
  reliability: number | null;
  reliabilitySource: string;
  suddenGainCutoff?: number;
  clinicalCutoff?: number;
  cutoffIsClinical: boolean;
  /** Look for alliance ruptures and repairs (alliance measures only): the method, or null not to. */
  ruptureMethod: RuptureMethod | null;
  repairWindow: number;
}

export type EventType = 'sudden_gain' | 'sudden_loss' | 'rupture' | 'repair';

export interface TrajectoryEvent {
  client: string;
  session: number;
  type: EventType;
  before: number;
  after: number;
  magnitude: number;
  /** Sudden gains/losses only: reversed later (suddengains' definition). */
  reversal?: boolean;
}

export interface ClientTrajectory extends ClientSummary {
  client: string;
  therapist: string;
  rci: number | null;
  reliableChange: ReliableChange | null;
  clinicalChange: ClinicalChange | null;
  /** Null when ruptures were not looked for (a measure that is not of the alliance). */
  ruptures: number | null;
  repairs: number | null;
  suddenGains: number;
  suddenLosses: number;
  /** Ruptures not repaired within the window and still below the pre-rupture level at the last score. */
  unresolved: number;
}

export interface TherapistSummary {
  therapist: string;
  clients: number;
  sessions: number;
  meanScore: number | null;
  clientsImproved: number;
  clientsDeteriorated: number;
  ruptures: number | null;
  repairs: number | null;
}

export interface Cohort {
  rciSd: number | null;
  rciSdSource: string;
  rciReliability: number | null;
  rciReliabilitySource: string;
  rciSdiff: number | null;
  rciCutoff: number | null;
  suddenGainCutoff: number | null;
  suddenGainCutoffSource: string;
  ruptureSdInter: number | null;
  icc: IccResult | null;
  nClients: number;
  nTherapists: number;
  sessionGrid: [number, number] | null;
}

export interface TrajectoryResult {
  clients: ClientTrajectory[];
  /** Each client's observations, series i being clients[i]'s. */
  series: SeriesSet;
  events: TrajectoryEvent[];
  therapists: TherapistSummary[];
  cohort: Cohort;
  duplicates: DuplicateSession[];
  multiTherapist: string[];
  warnings: string[];
}

const byId = naturalOrder;

/** A client's rupture counts when ruptures are not looked for. */
const NO_RUPTURES = { events: [] as RuptureEvent[], ruptures: null, repairs: null, unresolved: 0 };

/** `built`: the table's series when the caller already built them (admins.buildSeries()). */
export function analyseTrajectories(admins: AdminTable, p: TrajectoryParameters, built: BuiltSeries = admins.buildSeries()): TrajectoryResult {
  const warnings: string[] = [];
  const { duplicates, multiTherapist } = built;
  // The clients in the natural order of their ids.
  const order = Array.from(built.series.client.keys());
  order.sort((a, b) => byId(built.series.client[a]!, built.series.client[b]!));
  const series = reorderSeries(built.series, order);
  const n = series.client.length;

  const firstScores: number[] = [];
  for (let i = 0; i < n; i++) if (series.start[i + 1]! > series.start[i]!) firstScores.push(series.score[series.start[i]!]!);
  const rciSd = p.sd ?? (firstScores.length >= 2 ? sampleStandardDeviation(firstScores) : null);
  const rciSdiff = rciSd === null || p.reliability === null ? null : standardErrorOfDifference(rciSd, p.reliability);
  if (rciSd === null) warnings.push('the RCI needs an SD: fewer than 2 clients have a score, and no --sd was given');
  const suddenGainCutoff = p.suddenGainCutoff ?? (rciSdiff === null ? null : RCI_Z * rciSdiff);

  const sessionGrid = admins.sessionRange();
  const sdInter = p.ruptureMethod === null ? null : pooledDifferenceSd(series);

  const events: TrajectoryEvent[] = [];
  // One grid of consecutive sessions, refilled for each client.
  const grid: Array<number | null> = sessionGrid === null ? [] : new Array(sessionGrid[1] - sessionGrid[0] + 1).fill(null);
  const clients: ClientTrajectory[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const client = series.client[i]!;
    const points = pointsOf(series, i);
    const summary = summariseSeries(points);
    const rci = summary.change !== null && rciSdiff !== null && rciSdiff > 0 ? summary.change / rciSdiff : null;
    const reliableChange = rci === null ? null : classifyReliableChange(rci, p.higherIsBetter);
    let clinicalChange: ClinicalChange | null = null;
    if (p.clinicalCutoff !== undefined && reliableChange !== null) {
      clinicalChange = classifyClinicalChange(
        reliableChange,
        isClinical(summary.firstScore!, p.clinicalCutoff, p.higherIsBetter, p.cutoffIsClinical),
        isClinical(summary.lastScore!, p.clinicalCutoff, p.higherIsBetter, p.cutoffIsClinical),
      );
    }
    const clientEvents: TrajectoryEvent[] = [];
    let gains = 0;
    let losses = 0;
    if (suddenGainCutoff !== null && sessionGrid !== null) {
      for (let k = 0; k < points.score.length; k++) grid[points.session[k]! - sessionGrid[0]] = points.score[k]!;
      for (const kind of ['gain', 'loss'] as const) {
        for (const g of findSuddenChanges(grid, sessionGrid[0], { cutoff: suddenGainCutoff, higherIsBetter: p.higherIsBetter, kind })) {
          clientEvents.push({ client, session: g.session, type: kind === 'gain' ? 'sudden_gain' : 'sudden_loss', before: g.before, after: g.after, magnitude: g.magnitude, reversal: g.reversal });
          if (kind === 'gain') gains++;
          else losses++;
        }
      }
      for (let k = 0; k < points.score.length; k++) grid[points.session[k]! - sessionGrid[0]] = null;
    }
    const rup = p.ruptureMethod === null ? NO_RUPTURES : findRuptures(points, { method: p.ruptureMethod, sdInter, higherIsBetter: p.higherIsBetter, repairWindow: p.repairWindow });
    for (const e of rup.events) clientEvents.push({ client, session: e.session, type: e.type, before: e.before, after: e.after, magnitude: e.magnitude });
    if (clientEvents.length > 1) clientEvents.sort((a, b) => a.session - b.session);
    for (const e of clientEvents) events.push(e);
    // Every field written out: spreading `summary` (whose fields are null or numbers) made V8 build
    // each of 50,000 objects the slow way.
    const { nSessions, firstSession, lastSession, firstScore, lastScore, change, mean: meanScore, slope } = summary;
    clients[i] = { nSessions, firstSession, lastSession, firstScore, lastScore, change, mean: meanScore, slope, client, therapist: series.therapist[i]!, rci, reliableChange, clinicalChange, ruptures: rup.ruptures, repairs: rup.repairs, suddenGains: gains, suddenLosses: losses, unresolved: rup.unresolved };
  }

  const scored = clients.filter((c) => c.mean !== null && c.therapist !== '');
  const icc = therapistIcc(scored.map((c) => c.mean!), scored.map((c) => c.therapist));
  const therapistIds = [...new Set(clients.map((c) => c.therapist).filter((t) => t !== ''))].sort(byId);
  if (therapistIds.length > 0 && therapistIds.length < 10) warnings.push(`only ${therapistIds.length} therapists: the therapist ICC is very imprecise with fewer than 10`);
  if (therapistIds.length > 0 && icc === null) warnings.push('the therapist ICC could not be estimated (it needs at least 2 therapists and more clients than therapists)');
  if (multiTherapist.length > 0) warnings.push(`${multiTherapist.length} client(s) have rows with more than one therapist; each is counted with the therapist on most of their rows`);

  // Clients grouped by therapist, each group's scores in client order (as one list per therapist).
  const groupOf = new Map<string, number>(therapistIds.map((t, g) => [t, g]));
  const members: number[][] = therapistIds.map(() => []);
  let largest = 0;
  for (let i = 0; i < n; i++) {
    const g = groupOf.get(clients[i]!.therapist);
    if (g !== undefined) members[g]!.push(i);
  }
  const counts = members.map((list) => list.reduce((a, i) => a + series.start[i + 1]! - series.start[i]!, 0));
  for (const c of counts) largest = Math.max(largest, c);
  const scratch = new Float64Array(largest);
  const therapists: TherapistSummary[] = therapistIds.map((t, g) => {
    const list = members[g]!;
    let k = 0;
    for (const i of list) for (let o = series.start[i]!; o < series.start[i + 1]!; o++) scratch[k++] = series.score[o]!;
    let improved = 0;
    let deteriorated = 0;
    let ruptures = 0;
    let repairs = 0;
    for (const i of list) {
      const c = clients[i]!;
      if (c.reliableChange === 'improved') improved++;
      else if (c.reliableChange === 'deteriorated') deteriorated++;
      ruptures += c.ruptures ?? 0;
      repairs += c.repairs ?? 0;
    }
    return {
      therapist: t,
      clients: list.length,
      sessions: k,
      meanScore: k > 0 ? mean(scratch.subarray(0, k) as unknown as number[]) : null,
      clientsImproved: improved,
      clientsDeteriorated: deteriorated,
      ruptures: p.ruptureMethod === null ? null : ruptures,
      repairs: p.ruptureMethod === null ? null : repairs,
    };
  });

  return {
    clients,
    series,
    events,
    therapists,
    duplicates,
    multiTherapist,
    warnings,
    cohort: {
      rciSd,
      rciSdSource: p.sd !== undefined ? '--sd' : 'SD (n − 1) of each client\'s first valid score',
      rciReliability: p.reliability,
      rciReliabilitySource: p.reliabilitySource,
      rciSdiff,
      rciCutoff: rciSdiff === null ? null : RCI_Z * rciSdiff,
      suddenGainCutoff,
      suddenGainCutoffSource: p.suddenGainCutoff !== undefined ? '--sudden-gain-cutoff' : '1.96 × S_diff of the RCI',
      ruptureSdInter: sdInter,
      icc,
      nClients: n,
      nTherapists: therapistIds.length,
      sessionGrid,
    },
  };
}
