/**
 * Everything `rapport trajectories` computes from a set of administrations. Pure: the job
 * (src/jobs/trajectories.ts) reads the file and supplies the parameters and, when the RCI's
 * reliability must be estimated, Cronbach's alpha of the first administrations.
 */
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { classifyClinicalChange, classifyReliableChange, type ClinicalChange, isClinical, RCI_Z, type ReliableChange, standardErrorOfDifference } from './change.js';
import { findRuptures, pooledDifferenceSd, type RuptureEvent, type RuptureMethod } from './ruptures.js';
import { type Administration, type BuiltSeries, type ClientSeries, type ClientSummary, type DuplicateSession, type Observation, summariseSeries } from './series.js';
import { findSuddenChanges } from './sudden.js';
import { naturalOrder } from '../instrument/names.js';
import { AdminTable, buildSeries } from './table.js';
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
  /** Each client's observations, in the order of `clients`. */
  series: Observation[][];
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

/**
 * `rows`: the administrations, as objects or as a table (src/trajectory/table.ts); `built`: their
 * series when the caller already built them (buildSeries(rows)).
 */
export function analyseTrajectories(rows: readonly Administration[] | AdminTable, p: TrajectoryParameters, built: BuiltSeries = rows instanceof AdminTable ? rows.buildSeries() : buildSeries(rows)): TrajectoryResult {
  const warnings: string[] = [];
  const { duplicates, multiTherapist } = built;
  const series = [...built.series];
  series.sort((a, b) => byId(a.client, b.client));

  const firstScores = series.filter((s) => s.observations.length > 0).map((s) => s.observations[0]!.score);
  const rciSd = p.sd ?? (firstScores.length >= 2 ? sampleStandardDeviation(firstScores) : null);
  const rciSdiff = rciSd === null || p.reliability === null ? null : standardErrorOfDifference(rciSd, p.reliability);
  if (rciSd === null) warnings.push('the RCI needs an SD: fewer than 2 clients have a score, and no --sd was given');
  const suddenGainCutoff = p.suddenGainCutoff ?? (rciSdiff === null ? null : RCI_Z * rciSdiff);

  const sessionGrid = (rows instanceof AdminTable ? rows : AdminTable.of(rows)).sessionRange();
  const sdInter = p.ruptureMethod === null ? null : pooledDifferenceSd(series.map((s) => s.observations));

  const events: TrajectoryEvent[] = [];
  const clients: ClientTrajectory[] = series.map((s: ClientSeries) => {
    const summary = summariseSeries(s.observations);
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
      const grid: Array<number | null> = new Array(sessionGrid[1] - sessionGrid[0] + 1).fill(null);
      for (const o of s.observations) grid[o.session - sessionGrid[0]] = o.score;
      for (const kind of ['gain', 'loss'] as const) {
        for (const g of findSuddenChanges(grid, sessionGrid[0], { cutoff: suddenGainCutoff, higherIsBetter: p.higherIsBetter, kind })) {
          clientEvents.push({ client: s.client, session: g.session, type: kind === 'gain' ? 'sudden_gain' : 'sudden_loss', before: g.before, after: g.after, magnitude: g.magnitude, reversal: g.reversal });
          if (kind === 'gain') gains++;
          else losses++;
        }
      }
    }
    const rup = p.ruptureMethod === null ? NO_RUPTURES : findRuptures(s.observations, { method: p.ruptureMethod, sdInter, higherIsBetter: p.higherIsBetter, repairWindow: p.repairWindow });
    clientEvents.push(...rup.events.map((e: RuptureEvent) => ({ client: s.client, session: e.session, type: e.type, before: e.before, after: e.after, magnitude: e.magnitude })));
    clientEvents.sort((a, b) => a.session - b.session);
    events.push(...clientEvents);
    // Every field written out: spreading `summary` (whose fields are null or numbers) made V8 build
    // each of 50,000 objects the slow way (1.8 s against 0.5 s for the whole analysis).
    const { nSessions, firstSession, lastSession, firstScore, lastScore, change, mean: meanScore, slope } = summary;
    return { nSessions, firstSession, lastSession, firstScore, lastScore, change, mean: meanScore, slope, client: s.client, therapist: s.therapist, rci, reliableChange, clinicalChange, ruptures: rup.ruptures, repairs: rup.repairs, suddenGains: gains, suddenLosses: losses, unresolved: rup.unresolved };
  });

  const scored = clients.filter((c) => c.mean !== null && c.therapist !== '');
  const icc = therapistIcc(scored.map((c) => c.mean!), scored.map((c) => c.therapist));
  const therapistIds = [...new Set(clients.map((c) => c.therapist).filter((t) => t !== ''))].sort(byId);
  if (therapistIds.length > 0 && therapistIds.length < 10) warnings.push(`only ${therapistIds.length} therapists: the therapist ICC is very imprecise with fewer than 10`);
  if (therapistIds.length > 0 && icc === null) warnings.push('the therapist ICC could not be estimated (it needs at least 2 therapists and more clients than therapists)');
  if (multiTherapist.length > 0) warnings.push(`${multiTherapist.length} client(s) have rows with more than one therapist; each is counted with the therapist on most of their rows`);

  // One pass over clients, grouped by therapist.
  const groups = new Map<string, { clients: ClientTrajectory[]; scores: number[] }>(therapistIds.map((t) => [t, { clients: [], scores: [] }]));
  clients.forEach((c, i) => {
    const g = groups.get(c.therapist);
    if (!g) return;
    g.clients.push(c);
    for (const o of series[i]!.observations) g.scores.push(o.score);
  });
  const therapists: TherapistSummary[] = therapistIds.map((t) => {
    const { clients: cs, scores } = groups.get(t)!;
    return {
      therapist: t,
      clients: cs.length,
      sessions: scores.length,
      meanScore: scores.length > 0 ? mean(scores) : null,
      clientsImproved: cs.filter((c) => c.reliableChange === 'improved').length,
      clientsDeteriorated: cs.filter((c) => c.reliableChange === 'deteriorated').length,
      ruptures: p.ruptureMethod === null ? null : cs.reduce((a, c) => a + c.ruptures!, 0),
      repairs: p.ruptureMethod === null ? null : cs.reduce((a, c) => a + c.repairs!, 0),
    };
  });

  return {
    clients,
    series: series.map((s) => s.observations),
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
      nClients: clients.length,
      nTherapists: therapistIds.length,
      sessionGrid,
    },
  };
}
