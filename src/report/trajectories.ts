/** Renderings of trajectory results: the CSV tables, cohort.json, and the all-in-one JSON. Pure. */
import type { AttentionEntry } from '../trajectory/attention.js';
import type { EtrAudit } from '../trajectory/analyse.js';
import type { EtrModel } from '../trajectory/etr.js';
import type { TrajectoryReport } from '../trajectory/measure.js';
import { renderRecordsCsv } from './reliability.js';

type Value = string | number | null;
type Row = Record<string, Value>;

const nn = (x: number | null | undefined): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : x);

export const TRAJECTORY_COLUMNS = [
  'client_id', 'therapist_id', 'n_sessions', 'first_session', 'last_session', 'first_score', 'last_score', 'change', 'rci',
  'reliable_change', 'slope', 'mean', 'n_ruptures', 'n_repairs', 'n_sudden_gains', 'n_sudden_losses',
  'expected_last', 'band_last', 'off_track_sessions', 'not_on_track',
] as const;
export const EVENT_COLUMNS = ['client_id', 'session', 'type', 'score_before', 'score_after', 'magnitude', 'reversal', 'expected', 'band'] as const;
export const ATTENTION_COLUMNS = ['client_id', 'therapist_id', 'last_session', 'last_date', 'reasons', 'details', 'clinical_range'] as const;
export const THERAPIST_COLUMNS = ['therapist_id', 'clients', 'sessions', 'mean_score', 'clients_improved', 'clients_deteriorated', 'ruptures', 'repairs'] as const;
export const TRAJECTORY_PROBLEM_COLUMNS = ['line', 'column', 'value', 'code', 'message'] as const;

export function trajectoryColumns(report: TrajectoryReport): string[] {
  return report.clinicalCutoff === null ? [...TRAJECTORY_COLUMNS] : [...TRAJECTORY_COLUMNS, 'clinical_change'];
}

export function trajectoryRows(report: TrajectoryReport): Row[] {
  return report.result.clients.map((c) => ({
    client_id: c.client,
    therapist_id: c.therapist,
    n_sessions: c.nSessions,
    first_session: c.firstSession,
    last_session: c.lastSession,
    first_score: nn(c.firstScore),
    last_score: nn(c.lastScore),
    change: nn(c.change),
    rci: nn(c.rci),
    reliable_change: c.reliableChange,
    slope: nn(c.slope),
    mean: nn(c.mean),
    n_ruptures: c.ruptures,
    n_repairs: c.repairs,
    n_sudden_gains: c.suddenGains,
    n_sudden_losses: c.suddenLosses,
    expected_last: nn(c.expectedLast),
    band_last: nn(c.bandLast),
    off_track_sessions: c.offTrackSessions,
    not_on_track: c.notOnTrack === null ? null : c.notOnTrack ? 1 : 0,
    clinical_change: c.clinicalChange,
  }));
}

export function eventRows(report: TrajectoryReport): Row[] {
  return report.result.events.map((e) => ({
    client_id: e.client,
    session: e.session,
    type: e.type,
    score_before: e.before,
    score_after: e.after,
    magnitude: e.magnitude,
    reversal: e.reversal === undefined ? null : e.reversal ? 1 : 0,
    expected: e.expected ?? null,
    band: e.band ?? null,
  }));
}

export function therapistRows(report: TrajectoryReport): Row[] {
  return report.result.therapists.map((t) => ({
    therapist_id: t.therapist,
    clients: t.clients,
    sessions: t.sessions,
    mean_score: nn(t.meanScore),
    clients_improved: t.clientsImproved,
    clients_deteriorated: t.clientsDeteriorated,
    ruptures: t.ruptures,
    repairs: t.repairs,
  }));
}

/** The attention list as CSV records: reasons as codes separated by ';', details and context by ' | '. */
export function attentionRows(entries: readonly AttentionEntry[]): Row[] {
  return entries.map((e) => ({
    client_id: e.client,
    therapist_id: e.therapist,
    last_session: Number.isNaN(e.lastSession) ? null : e.lastSession,
    last_date: e.lastDate,
    reasons: e.reasons.join(';'),
    details: e.details.join(' | '),
    clinical_range: e.clinical.join(' | '),
  }));
}

function etrObject(report: TrajectoryReport): Record<string, unknown> | null {
  const e = report.result.cohort.etr;
  if (!e) return null;
  const m: EtrModel = e.model;
  const audit = (a: EtrAudit) => ({
    definition: `clients with at least 6 scores: off track at any of t = 2 to 4 (the prediction) against not reliably improved at their last score (the outcome)`,
    in_sample: a.inSample,
    note: a.inSample ? 'computed on the data the model was fitted to, so it flatters the model; apply a model fitted on earlier cases (--expected) for an honest figure' : `the model came from ${m.file ?? 'a file'}: out of sample`,
    clients: a.clients,
    true_positive: a.truePositive,
    false_positive: a.falsePositive,
    false_negative: a.falseNegative,
    true_negative: a.trueNegative,
    sensitivity: nn(a.sensitivity),
    specificity: nn(a.specificity),
    ppv: nn(a.ppv),
  });
  return {
    fixed: m.fixed,
    var_intercept: m.varIntercept,
    var_slope: m.varSlope,
    cov: m.cov,
    var_residual: m.varResidual,
    z: e.z,
    n_clients: m.nClients,
    n_obs: m.nObs,
    source: m.source,
    ...(m.file ? { file: m.file } : {}),
    ...(m.fit ? { se: { intercept: m.fit.se[0], log_t: m.fit.se[1], intake: m.fit.se[2], log_t_intake: m.fit.se[3] }, remlcrit: m.fit.remlcrit, theta: m.fit.theta } : {}),
    audit: e.audit ? audit(e.audit) : { note: e.auditNote },
  };
}

export function cohortObject(report: TrajectoryReport): Record<string, unknown> {
  const c = report.result.cohort;
  return {
    measure: report.measure,
    input: report.input,
    rows: report.rows,
    rci_sd: nn(c.rciSd),
    rci_sd_source: c.rciSdSource,
    rci_reliability: nn(c.rciReliability),
    rci_reliability_source: c.rciReliabilitySource,
    rci_reliability_warning: report.reliabilityWarning,
    rci_sdiff: nn(c.rciSdiff),
    rci_cutoff: nn(c.rciCutoff),
    sudden_gain_cutoff: nn(c.suddenGainCutoff),
    sudden_gain_cutoff_source: c.suddenGainCutoffSource,
    rupture_sd_inter: nn(c.ruptureSdInter),
    icc_therapist: nn(c.icc?.icc),
    var_therapist: nn(c.icc?.varTherapist),
    var_residual: nn(c.icc?.varResidual),
    n_clients: c.nClients,
    n_therapists: c.nTherapists,
    etr: etrObject(report),
    ...(report.etrNote !== null ? { etr_note: report.etrNote } : {}),
    parameters: report.parameters,
    warnings: report.result.warnings,
    problems: report.problems.length,
  };
}

export const renderCohortJson = (report: TrajectoryReport): string => `${JSON.stringify(cohortObject(report), null, 2)}\n`;

export function renderTrajectoryFiles(report: TrajectoryReport, attention: readonly AttentionEntry[], digits?: number, escapeFormulas = true): Record<string, string | Uint8Array> {
  const files: Record<string, string | Uint8Array> = {
    'attention.csv': renderRecordsCsv(attentionRows(attention), ATTENTION_COLUMNS, digits, escapeFormulas),
    'trajectories.csv': renderRecordsCsv(trajectoryRows(report), trajectoryColumns(report), digits, escapeFormulas),
    'events.csv': renderRecordsCsv(eventRows(report), EVENT_COLUMNS, digits, escapeFormulas),
    'therapists.csv': renderRecordsCsv(therapistRows(report), THERAPIST_COLUMNS, digits, escapeFormulas),
    'cohort.json': renderCohortJson(report),
  };
  if (report.problems.length > 0) files['problems.csv'] = renderRecordsCsv(report.problems.map((p) => ({ ...p })), TRAJECTORY_PROBLEM_COLUMNS, undefined, escapeFormulas);
  return files;
}

export function renderTrajectoryJson(report: TrajectoryReport, attention: readonly AttentionEntry[]): string {
  const columns = trajectoryColumns(report);
  const pick = (r: Row) => Object.fromEntries(columns.map((c) => [c, r[c] ?? null]));
  return `${JSON.stringify(
    { cohort: cohortObject(report), attention: attention.map((e) => ({ client_id: e.client, therapist_id: e.therapist, last_session: Number.isNaN(e.lastSession) ? null : e.lastSession, last_date: e.lastDate || null, reasons: e.reasons, details: e.details, clinical_range: e.clinical })), trajectories: trajectoryRows(report).map(pick), events: eventRows(report), therapists: therapistRows(report), problems: report.problems },
    null,
    2,
  )}\n`;
}
