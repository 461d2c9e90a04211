/**
 * Everything `rapport trajectories` computes from a set of administrations. Pure: the job
 * (src/pipeline/trajectories.ts) reads the file and supplies the parameters and, when the RCI's
 * reliability must be estimated, Cronbach's alpha of the first administrations.
 */
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { classifyChange, classifyClinicalChange, classifyReliableChange, type ClinicalChange, isClinical, RCI_Z, type ReliableChange, standardErrorOfDifference } from './change.js';
import { findRuptures, pooledDifferenceSd, type RuptureEvent, type RuptureMethod } from './ruptures.js';
import { type BuiltSeries, type ClientSummary, type DuplicateSession, pointsOf, reorderSeries, type SeriesSet, summariseSeries } from './series.js';
import { findSuddenChanges } from './sudden.js';
import { naturalOrder } from '../instrument/names.js';
import type { AdminTable } from './table.js';
import { type IccResult, therapistIcc } from './therapist.js';
import { beyondBand, bandWidth, type EtrModel, expectedScore } from './etr.js';

export interface TrajectoryParameters {
  higherIsBetter: boolean;
  /** Given SD for the RCI, else the SD of the clients' first scores. */
  sd?: number;
  /** The RCI's reliability and where it came from; null when there is none usable (no RCI then). */
  reliability: number | null;
  reliabilitySource: string;
  /**
   * A published reliable-change criterion in points (an instrument's norms), used instead of the RCI
   * from SD and reliability: a change of at least this much is reliable; S_diff = points / 1.96.
   */
  reliableChangePoints?: { points: number; source: string };
  suddenGainCutoff?: number;
  clinicalCutoff?: number;
  cutoffIsClinical: boolean;
  /** Look for alliance ruptures and repairs (alliance measures only): the method, or null not to. */
  ruptureMethod: RuptureMethod | null;
  repairWindow: number;
  /** The expected treatment response to compare each client with (outcome measures), and its band's z. */
  etr?: { model: EtrModel; z: number };
}

export type EventType = 'sudden_gain' | 'sudden_loss' | 'rupture' | 'repair' | 'off_track';

export interface TrajectoryEvent {
  client: string;
  session: number;
  type: EventType;
  /** The score before the event (none for off_track). */
  before: number | null;
  after: number;
  /** Off track: how far past the band the score lies. */
  magnitude: number;
  /** Sudden gains/losses only: reversed later (suddengains' definition). */
  reversal?: boolean;
  /** Off track only: the expected score and the band's width. */
  expected?: number;
  band?: number;
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
  /** ETR (outcome measures with a model): the last score's expected value and band, the off-track administrations, and whether the last is one. */
  expectedLast: number | null;
  bandLast: number | null;
  offTrackSessions: number | null;
  notOnTrack: boolean | null;
  /** Off track at any of t = 2 … 4 (for the audit). */
  earlyOffTrack: boolean | null;
}

/**
 * How well "off track at any of t = 2 … 4" predicted a poor end (reliable deterioration or no
 * reliable improvement), among clients with at least AUDIT_MIN_SESSIONS scores.
 */
export interface EtrAudit {
  clients: number;
  truePositive: number;
  falsePositive: number;
  falseNegative: number;
  trueNegative: number;
  sensitivity: number | null;
  specificity: number | null;
  ppv: number | null;
  inSample: boolean;
}

export const AUDIT_MIN_SESSIONS = 6;

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
  /** The expected treatment response used, its z and the audit; null when there is none (etrNote says why). */
  etr: { model: EtrModel; z: number; audit: EtrAudit | null; auditNote: string | null } | null;
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
  const points = p.reliableChangePoints;
  const rciSd = points ? null : p.sd ?? (firstScores.length >= 2 ? sampleStandardDeviation(firstScores) : null);
  const rciSdiff = points ? points.points / RCI_Z : rciSd === null || p.reliability === null ? null : standardErrorOfDifference(rciSd, p.reliability);
  if (!points && rciSd === null) warnings.push('the RCI needs an SD: fewer than 2 clients have a score, and no --sd was given');
  const suddenGainCutoff = p.suddenGainCutoff ?? (rciSdiff === null ? null : RCI_Z * rciSdiff);

  const sessionGrid = admins.sessionRange();
  const sdInter = p.ruptureMethod === null ? null : pooledDifferenceSd(series);

  const events: TrajectoryEvent[] = [];
  // One grid of consecutive sessions, refilled for each client.
  const grid: Array<number | null> = sessionGrid === null ? [] : new Array(sessionGrid[1] - sessionGrid[0] + 1).fill(null);
  const clients: ClientTrajectory[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const client = series.client[i]!;
    const obs = pointsOf(series, i);
    const summary = summariseSeries(obs);
    const rci = summary.change !== null && rciSdiff !== null && rciSdiff > 0 ? summary.change / rciSdiff : null;
    // A published criterion in points is applied to the change itself (6 points is reliable, exactly).
    const reliableChange = rci === null ? null : points ? classifyChange(summary.change!, points.points, p.higherIsBetter) : classifyReliableChange(rci, p.higherIsBetter);
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
      for (let k = 0; k < obs.score.length; k++) grid[obs.session[k]! - sessionGrid[0]] = obs.score[k]!;
      for (const kind of ['gain', 'loss'] as const) {
        for (const g of findSuddenChanges(grid, sessionGrid[0], { cutoff: suddenGainCutoff, higherIsBetter: p.higherIsBetter, kind })) {
          clientEvents.push({ client, session: g.session, type: kind === 'gain' ? 'sudden_gain' : 'sudden_loss', before: g.before, after: g.after, magnitude: g.magnitude, reversal: g.reversal });
          if (kind === 'gain') gains++;
          else losses++;
        }
      }
      for (let k = 0; k < obs.score.length; k++) grid[obs.session[k]! - sessionGrid[0]] = null;
    }
    const rup = p.ruptureMethod === null ? NO_RUPTURES : findRuptures(obs, { method: p.ruptureMethod, sdInter, higherIsBetter: p.higherIsBetter, repairWindow: p.repairWindow, ...(rciSdiff !== null ? { stillBelowBy: points ? points.points : RCI_Z * rciSdiff } : {}) });
    let expectedLast: number | null = null;
    let bandLast: number | null = null;
    let offTrackSessions: number | null = null;
    let notOnTrack: boolean | null = null;
    let earlyOffTrack: boolean | null = null;
    if (p.etr && obs.score.length >= 1) {
      const { model, z } = p.etr;
      const s0 = obs.session[0]!;
      const intake = obs.score[0]!;
      offTrackSessions = 0;
      earlyOffTrack = false;
      for (let k = 1; k < obs.score.length; k++) {
        const t = obs.session[k]! - s0 + 1;
        const expected = expectedScore(model, intake, t);
        const band = bandWidth(model, t, z);
        const past = beyondBand(model, obs.score[k]!, expected, band);
        const off = past > 0;
        if (off) {
          offTrackSessions++;
          if (t <= 4) earlyOffTrack = true;
          clientEvents.push({ client, session: obs.session[k]!, type: 'off_track', before: null, after: obs.score[k]!, magnitude: past, expected, band });
        }
        expectedLast = expected;
        bandLast = band;
        notOnTrack = off;
      }
    }
    for (const e of rup.events) clientEvents.push({ client, session: e.session, type: e.type, before: e.before, after: e.after, magnitude: e.magnitude });
    if (clientEvents.length > 1) clientEvents.sort((a, b) => a.session - b.session);
    for (const e of clientEvents) events.push(e);
    // Every field written out: spreading `summary` (whose fields are null or numbers) made V8 build
    // each of 50,000 objects the slow way.
    const { nSessions, firstSession, lastSession, firstScore, lastScore, change, mean: meanScore, slope } = summary;
    clients[i] = { nSessions, firstSession, lastSession, firstScore, lastScore, change, mean: meanScore, slope, client, therapist: series.therapist[i]!, rci, reliableChange, clinicalChange, ruptures: rup.ruptures, repairs: rup.repairs, suddenGains: gains, suddenLosses: losses, unresolved: rup.unresolved, expectedLast, bandLast, offTrackSessions, notOnTrack, earlyOffTrack };
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
      rciSdSource: points ? 'not used: a published reliable-change criterion in points' : p.sd !== undefined ? '--sd' : 'SD (n − 1) of each client\'s first valid score',
      rciReliability: points ? null : p.reliability,
      rciReliabilitySource: points ? `not used: a change of ${points.points} points or more is reliable (${points.source})` : p.reliabilitySource,
      rciSdiff,
      rciCutoff: rciSdiff === null ? null : RCI_Z * rciSdiff,
      suddenGainCutoff,
      suddenGainCutoffSource: p.suddenGainCutoff !== undefined ? '--sudden-gain-cutoff' : points ? 'the published reliable-change criterion' : '1.96 × S_diff of the RCI',
      ruptureSdInter: sdInter,
      icc,
      nClients: n,
      nTherapists: therapistIds.length,
      sessionGrid,
      etr: p.etr ? { model: p.etr.model, z: p.etr.z, ...auditOf(clients, p.etr.model) } : null,
    },
  };
}

/** The ETR audit (see EtrAudit), or why it cannot be made. */
function auditOf(clients: readonly ClientTrajectory[], model: EtrModel): { audit: EtrAudit | null; auditNote: string | null } {
  const long = clients.filter((c) => c.nSessions >= AUDIT_MIN_SESSIONS && c.earlyOffTrack !== null);
  if (long.length === 0) return { audit: null, auditNote: `no client has ${AUDIT_MIN_SESSIONS} or more scores` };
  if (long.every((c) => c.reliableChange === null)) return { audit: null, auditNote: 'reliable change was not computed, so the outcome the audit checks is not known' };
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const c of long) {
    const poor = c.reliableChange !== 'improved';
    if (c.earlyOffTrack) poor ? tp++ : fp++;
    else poor ? fn++ : tn++;
  }
  const ratio = (a: number, b: number) => (a + b > 0 ? a / (a + b) : null);
  return {
    audit: { clients: long.length, truePositive: tp, falsePositive: fp, falseNegative: fn, trueNegative: tn, sensitivity: ratio(tp, fn), specificity: ratio(tn, fp), ppv: ratio(tp, fp), inSample: model.source === 'fitted' },
    auditNote: null,
  };
}
