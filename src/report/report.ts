/**
 * The content of `rapport report`, for the clinician first: the clients who need attention (all of
 * them, in one compact table) and each one's chart with the expected band, off-track sessions and
 * risk items; then, for researchers, the data summary, reliability and item statistics, trajectories
 * with the expected-response model and its audit, therapists, and methods. Pure: it turns results
 * into document blocks and figure files (SVG text); the job writes them. `--by-therapist` pages are
 * the same first part for one therapist's clients.
 */
import { createHash } from 'node:crypto';
import { isoDay } from '../input/dates.js';
import type { Instrument } from '../instrument/types.js';
import type { ReliabilityReport } from '../reliability/report.js';
import type { ClientTrajectory } from '../trajectory/analyse.js';
import { type AttentionEntry, attentionCounts, type Reason } from '../trajectory/attention.js';
import type { TrajectoryReport } from '../trajectory/measure.js';
import { observationsOf } from '../trajectory/series.js';
import { bandWidth, expectedScore } from '../trajectory/etr.js';
import { type Block } from './document.js';
import { clientFigure, cohortFigure, distributionFigure, type MeasurePanel, sessionMeans } from './figures.js';
import { scaleRange } from './instrument-text.js';
import { apa, OMEGA_DESCRIPTION } from './reliability.js';
import { linkFormula, linkRows, linkSentence } from './link.js';
import type { LinkResult } from '../trajectory/link.js';
import type { InstrumentTally } from './score-rows.js';

export interface MeasureTrajectories {
  instrument: Instrument;
  scaleId: string;
  report?: TrajectoryReport;
  skipped?: string;
}

export interface ReportProblem {
  line: number;
  column: string;
  value: string;
  code: string;
  message: string;
}

export interface ReportData {
  input: string;
  rows: number;
  instruments: Instrument[];
  score: { instruments: readonly InstrumentTally[] };
  reliability: ReliabilityReport;
  missing: string;
  measures: MeasureTrajectories[];
  problems: ReportProblem[];
  pseudonymized: boolean;
  version: string;
  attention: AttentionEntry[];
  /** The administrations' dates (day numbers), or null without dates. */
  dates: [number, number] | null;
  /** When the report was made (ISO date and time, UTC). */
  generatedAt: string;
  inactiveDays?: number;
  /** Alliance → next-session outcome (when the file has an alliance and an outcome measure). */
  link?: ReportLink;
}

/** The link model of a report, or why it could not be fitted. */
export interface ReportLink {
  predictor: string;
  outcome: string;
  result: LinkResult | { failure: string };
}

export interface Figure {
  file: string;
  svg: string;
}

/** At most this many client charts in the main report (every flagged client is in the table and attention.csv). */
export const MAX_CLIENT_CHARTS = 200;

/** Whether ruptures were looked for in this measure (alliance measures only). */
const lookedForRuptures = (r: TrajectoryReport): boolean => r.parameters.rupture_method !== null;

const f2 = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
const count = <T>(xs: readonly T[], p: (x: T) => boolean): number => xs.reduce((a, x) => a + (p(x) ? 1 : 0), 0);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const REASON_TEXT: Record<Reason, string> = {
  critical_item: 'risk item',
  not_on_track: 'not on track',
  reliable_deterioration: 'reliable deterioration',
  unrepaired_rupture: 'unrepaired rupture',
  no_recent_session: 'no recent session',
};

/** A file name for a client's or therapist's figure or page: the id when it is plain, else a code that does not show it. */
export function safeName(id: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,60}$/.test(id)) return id;
  return `id-${createHash('sha256').update(id).digest('hex').slice(0, 12)}`;
}

function scaleLabel(inst: Instrument, scaleId: string): string {
  const scale = inst.scales.find((s) => s.id === scaleId)!;
  const [lo, hi] = scaleRange(inst, scale);
  return `${inst.id} ${scale.name} (${scale.method}, ${lo}–${hi})`;
}

function dataSummary(d: ReportData): Block[] {
  const first = d.measures.find((m) => m.report)?.report;
  const clients = first?.result.cohort.nClients;
  const therapists = first?.result.cohort.nTherapists;
  const grid = first?.result.cohort.sessionGrid;
  const byCode = new Map<string, ReportProblem[]>();
  for (const p of d.problems) (byCode.get(p.code) ?? byCode.set(p.code, []).get(p.code)!).push(p);
  const blocks: Block[] = [
    { kind: 'heading', level: 2, text: 'Data', id: 'data' },
    {
      kind: 'table',
      head: ['', 'Count'],
      align: ['l', 'r'],
      rows: [
        ['Rows (administrations) read', String(d.rows)],
        ...(clients !== undefined ? [['Clients', String(clients)]] : []),
        ...(therapists !== undefined ? [['Therapists', String(therapists)]] : []),
        ...(grid ? [['Session numbers', `${grid[0]}–${grid[1]}`]] : []),
        ...d.score.instruments.map((i) => [`${i.id}: scored rows (complete + prorated)`, `${i.counts.ok + i.counts.prorated} (${i.counts.ok} + ${i.counts.prorated})`]),
        ...d.score.instruments.map((i) => [`${i.id}: incomplete / invalid rows`, `${i.counts.incomplete} / ${i.counts.invalid}`]),
      ],
    },
  ];
  if (d.problems.length === 0) blocks.push({ kind: 'paragraph', text: 'No problems were found in the data.' });
  else {
    blocks.push({ kind: 'paragraph', text: `${plural(d.problems.length, 'problem')} were found. Every one is listed with its file line in problems.csv; by kind:` });
    blocks.push({
      kind: 'table',
      head: ['Code', 'Count', 'First lines', 'Example'],
      align: ['l', 'r', 'l', 'l'],
      rows: [...byCode.entries()].map(([code, ps]) => [code, String(ps.length), ps.slice(0, 5).map((p) => p.line).join(', ') + (ps.length > 5 ? ', …' : ''), ps[0]!.message]),
    });
  }
  if (d.pseudonymized) blocks.push({ kind: 'paragraph', text: 'Client and therapist ids are pseudonymised: every output shows stable codes (C-…, T-…) instead of the ids in the input.' });
  return blocks;
}

function instrumentSection(d: ReportData, inst: Instrument, figures: Figure[]): Block[] {
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: `${inst.name} (${inst.id})`, id: inst.id }];
  if (inst.keyStatus === 'provisional') blocks.push({ kind: 'warning', text: `The scoring key of ${inst.id} is provisional: it was not found in two independent sources. Check it against the form you use (rapport instruments show ${inst.id}).` });
  if (inst.citation) blocks.push({ kind: 'paragraph', text: `Citation: ${inst.citation}` });
  if (inst.license) blocks.push({ kind: 'paragraph', text: `Licence: ${inst.license}` });
  const measure = d.measures.find((m) => m.instrument.id === inst.id);
  const obs = measure?.report?.result ? measure.report.result.clients : undefined;
  if (measure?.report && obs) {
    const scale = inst.scales.find((s) => s.id === measure.scaleId)!;
    const range = scaleRange(inst, scale);
    const scores = measure.report.result.series.score;
    const file = `figures/${inst.id}-${scale.id}-distribution.svg`;
    figures.push({ file, svg: distributionFigure(scores, range, scaleLabel(inst, scale.id), `${inst.id} ${scale.name}: distribution of scores`) });
    blocks.push({ kind: 'figure', file, svg: figures.at(-1)!.svg, caption: `Figure: distribution of ${inst.id} ${scale.name} scores over ${scores.length} administrations (duplicated sessions left out).` });
  }
  const rel = d.reliability.scales.filter((s) => s.instrument.id === inst.id);
  blocks.push({ kind: 'heading', level: 3, text: 'Reliability' });
  blocks.push({
    kind: 'table',
    head: ['Scale', 'n', 'k', 'α', '95% CI (Feldt)', '95% CI (Duhachek)', 'ω total', 'G6', 'mean r'],
    align: ['l', 'r', 'r', 'r', 'l', 'l', 'r', 'r', 'r'],
    rows: rel.map((s) => {
      const a = s.result.alpha;
      return [s.scaleId, String(a.n), String(a.k), apa(a.raw), `[${apa(a.feldt[0])}, ${apa(a.feldt[1])}]`, `[${apa(a.raw - 1.96 * a.ase)}, ${apa(a.raw + 1.96 * a.ase)}]`, apa(s.result.omega.omega), apa(a.g6), apa(a.averageR)];
    }),
  });
  const nested = rel.filter((s) => s.result.multilevel && s.result.multilevel.rows > s.result.multilevel.clients);
  if (nested.length > 0) {
    blocks.push({
      kind: 'table',
      caption: `Within and between clients (rows nested in ${d.reliability.client ?? 'clients'}; the Feldt and Duhachek intervals above take the rows as independent and are too narrow)`,
      head: ['Scale', 'Rows', 'Clients', 'Rows per client', 'α within', 'α between', 'ω within', 'ω between'],
      align: ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      rows: nested.map((s) => {
        const m = s.result.multilevel!;
        const warn = (code: string) => (s.result.warnings.some((w) => w.code === code) ? ' ⚠' : '');
        return [s.scaleId, String(m.rows), String(m.clients), m.meanRowsPerClient.toFixed(1), apa(m.alphaWithin), `${apa(m.alphaBetween)}${warn('BETWEEN_NOT_PSD')}`, apa(m.omegaWithin), `${apa(m.omegaBetween)}${warn('MULTILEVEL_HEYWOOD')}`];
      }),
    });
  }
  const flagged = rel.flatMap((s) => s.result.alpha.items.map((it, j) => ({ s, it, j })).filter(({ it }) => it.rDrop < 0.3 || it.dropped));
  blocks.push({ kind: 'heading', level: 3, text: 'Item statistics' });
  const main = rel.find((s) => s.scaleId === (measure?.scaleId ?? 'total')) ?? rel[0];
  if (main) {
    blocks.push({
      kind: 'table',
      caption: `Items of ${inst.id} ${main.scaleId} (reverse-keyed values; all scales in items.csv)`,
      head: ['Item', 'Column', 'n', 'M', 'SD', 'r item–rest', 'α if deleted', 'Missing'],
      align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r'],
      rows: main.result.alpha.items.map((it, j) => [`${main.itemIds[j]}${it.rDrop < 0.3 ? ' ⚑' : ''}`, main.itemColumns[j]!, String(it.n), f2(it.mean), f2(it.sd), apa(it.rDrop), apa(it.alphaIfDeleted), `${(it.missing * 100).toFixed(1)}%`]),
    });
  }
  if (flagged.length > 0) {
    blocks.push({ kind: 'paragraph', text: `Flagged items (⚑: item–rest correlation below .30, or no variance): ${flagged.map(({ s, j, it }) => `${s.scaleId}/${s.itemIds[j]} (r = ${apa(it.rDrop)})`).join('; ')}.` });
  }
  for (const s of rel) for (const w of s.result.warnings) blocks.push({ kind: 'warning', text: `${s.scaleId}: ${w.message}` });
  return blocks;
}

/** The alliance → next-session outcome model, within and between clients. */
function linkBlocks(link: ReportLink): Block[] {
  const blocks: Block[] = [{ kind: 'heading', level: 3, text: `Alliance and next-session outcome: ${link.predictor} → ${link.outcome}` }];
  if ('failure' in link.result) return [...blocks, { kind: 'paragraph', text: `Not fitted: ${link.result.failure}.` }];
  const view = { predictor: link.predictor, outcome: link.outcome, result: link.result };
  const f = link.result.fit;
  blocks.push(
    { kind: 'paragraph', text: `Model (also in link.csv; the link command adds --detrend and --therapist): ${linkFormula(view)}.` },
    { kind: 'table', head: ['Term', 'Estimate', 'SE', 't'], align: ['l', 'r', 'r', 'r'], rows: linkRows(view).map((r) => [String(r.term), (r.estimate as number).toFixed(4), (r.se as number).toFixed(4), (r.t as number).toFixed(2)]) },
    { kind: 'paragraph', text: `Variance components: client ${f.cov1[0]![0]!.toFixed(4)}, residual ${f.sigma2.toFixed(4)}; ${link.result.clients} clients, ${link.result.pairs} pairs of consecutive sessions. ${linkSentence(view)}` },
  );
  if (f.singular) blocks.push({ kind: 'warning', text: 'The fit is singular (the client variance is estimated at 0).' });
  if (!f.converged) blocks.push({ kind: 'warning', text: 'The REML fit did not converge; treat the estimates with caution.' });
  return blocks;
}

function trajectorySection(m: MeasureTrajectories, figures: Figure[]): Block[] {
  const label = scaleLabel(m.instrument, m.scaleId);
  const blocks: Block[] = [{ kind: 'heading', level: 3, text: `Trajectories: ${m.instrument.id} ${m.scaleId}` }];
  if (!m.report) {
    blocks.push({ kind: 'paragraph', text: `Not computed: ${m.skipped}` });
    return blocks;
  }
  const r = m.report;
  const res = r.result;
  const cutoff = r.clinicalCutoff === null ? undefined : { value: r.clinicalCutoff, label: `cutoff ${r.clinicalCutoff}` };
  const range = scaleRange(m.instrument, m.instrument.scales.find((s) => s.id === m.scaleId)!);
  const means = sessionMeans(res.series);
  const file = `figures/${m.instrument.id}-${m.scaleId}-by-session.svg`;
  figures.push({ file, svg: cohortFigure(means, range, label, `${m.instrument.id} ${m.scaleId}: mean by session`, cutoff) });
  blocks.push({ kind: 'figure', file, svg: figures.at(-1)!.svg, caption: `Figure: mean ${m.instrument.id} ${m.scaleId} score by session with a 95% confidence band (t-based; sessions with at least 5 scores).` });
  const cs = res.clients;
  const events = (t: string) => count(res.events, (e) => e.type === t);
  blocks.push({
    kind: 'table',
    head: ['', 'Clients'],
    align: ['l', 'r'],
    rows: [
      ['Reliably improved', String(count(cs, (c) => c.reliableChange === 'improved'))],
      ['No reliable change', String(count(cs, (c) => c.reliableChange === 'no_reliable_change'))],
      ['Reliably deteriorated', String(count(cs, (c) => c.reliableChange === 'deteriorated'))],
      ['Fewer than 2 scores (no change)', String(count(cs, (c) => c.reliableChange === null))],
      ...(r.clinicalCutoff !== null ? [['Recovered (clinically significant)', String(count(cs, (c) => c.clinicalChange === 'recovered'))]] : []),
      ['Sudden gains / losses', `${events('sudden_gain')} / ${events('sudden_loss')}`],
      ...(lookedForRuptures(r) ? [['Ruptures / repairs', `${events('rupture')} / ${events('repair')}`]] : []),
    ],
  });
  for (const w of res.warnings) blocks.push({ kind: 'warning', text: `${m.instrument.id} ${m.scaleId}: ${w}` });
  return blocks;
}

function therapistSection(d: ReportData): Block[] {
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: 'Therapists', id: 'therapists' }];
  for (const m of d.measures) {
    if (!m.report) continue;
    const c = m.report.result.cohort;
    blocks.push({ kind: 'heading', level: 3, text: `${m.instrument.id} ${m.scaleId}` });
    if (c.icc) {
      blocks.push({
        kind: 'paragraph',
        text: `Therapist ICC = ${c.icc.icc.toFixed(3)}: ${(100 * c.icc.icc).toFixed(1)}% of the variance in clients' mean scores lies between therapists (τ² = ${f2(c.icc.varTherapist)}, σ² = ${f2(c.icc.varResidual)}; ${c.icc.groups} therapists, ${c.icc.n} clients).`,
      });
      if (c.icc.groups < 10) blocks.push({ kind: 'warning', text: `Only ${c.icc.groups} therapists: an ICC from fewer than 10 therapists is very imprecise; do not compare therapists on it.` });
    } else blocks.push({ kind: 'paragraph', text: 'The therapist ICC could not be estimated (no therapist column, fewer than 2 therapists, or one client per therapist).' });
    const ruptures = lookedForRuptures(m.report);
    blocks.push({
      kind: 'table',
      head: ['Therapist', 'Clients', 'Sessions', 'Mean score', 'Improved', 'Deteriorated', ...(ruptures ? ['Ruptures', 'Repairs'] : [])],
      align: ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      rows: m.report.result.therapists.map((t) => [t.therapist, String(t.clients), String(t.sessions), f2(t.meanScore), String(t.clientsImproved), String(t.clientsDeteriorated), ...(ruptures ? [String(t.ruptures), String(t.repairs)] : [])]),
    });
  }
  return blocks;
}

function methodsSection(d: ReportData): Block[] {
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: 'Methods', id: 'methods' }];
  blocks.push({
    kind: 'paragraph',
    text: `Scores were computed with rapport ${d.version}. Reverse-keyed items were scored as min + max − x. Sum scales with up to the allowed number of missing items (maxMissing in each definition) were prorated as the mean of the answered items times the number of items; scales with more missing items, or with an invalid answer, were not scored.`,
  });
  blocks.push({
    kind: 'paragraph',
    text: `Reliability: Cronbach's α, standardised α, Guttman's λ6 and item statistics as in psych::alpha (psych 2.2.9) from ${d.missing === 'pairwise' ? 'pairwise-complete covariances' : 'complete cases'}, with Feldt's 95% interval (Feldt, Woodruff & Salih, 1987) and Duhachek and Iacobucci's (2004) standard error. ω is ${OMEGA_DESCRIPTION}.`,
  });
  for (const m of d.measures) {
    if (!m.report) continue;
    const c = m.report.result.cohort;
    const p = m.report.parameters;
    blocks.push({
      kind: 'paragraph',
      text: `${m.instrument.id} ${m.scaleId} (${m.report.higherIsBetter ? 'higher' : 'lower'} is better): ${
        c.rciReliability === null
          ? `reliable change was not computed: ${m.report.reliabilityWarning ?? 'no usable reliability'}.`
          : `reliable change followed Jacobson and Truax (1991) with SD = ${f2(c.rciSd)} (${c.rciSdSource}) and r = ${c.rciReliability.toFixed(3)} (${c.rciReliabilitySource}), so S_diff = ${f2(c.rciSdiff)} and a change of at least ${f2(c.rciCutoff)} points was reliable (|RCI| ≥ 1.96).`
      }${
        m.report.clinicalCutoff !== null ? ` The clinical cutoff was ${m.report.clinicalCutoff} (a score equal to it counts as ${m.report.cutoffIsClinical ? '' : 'not '}clinical); recovered clients improved reliably and crossed it.` : ''
      } Sudden gains and losses followed Tang and DeRubeis (1999) as implemented in suddengains 0.7.2 (Wiedemann et al.), with criterion 1 = ${f2(c.suddenGainCutoff)} points (${c.suddenGainCutoffSource}), criterion 2 = 25% of the pregain score and criterion 3 = a t-test of the 3 sessions before against the 3 after (α = .05, critical value adjusted for missing sessions).${
        p.rupture_method === null
          ? ' Alliance ruptures were not looked for: this is not an alliance measure.'
          : ` Ruptures were drops of at least ${
              p.rupture_method === 'stiles' ? 'twice the client\'s own SD (Stiles et al., 2004)' : p.rupture_method === 'strauss' ? `one SD of all session-to-session changes (${f2(c.ruptureSdInter)}; Strauss et al., 2006)` : `the larger of twice the client's own SD and one SD of all session-to-session changes (${f2(c.ruptureSdInter)}; Gumz et al., 2012)`
            }; a rupture was repaired when a score returned to the pre-rupture level within ${p.repair_window} observed sessions.`
      } The therapist ICC came from a random-intercept model fitted by REML to clients' mean scores (as lme4::lmer).`,
    });
  }
  if (d.measures.some((m) => m.report?.result.cohort.etr)) {
    blocks.push({
      kind: 'paragraph',
      text: 'Expected treatment response (outcome measures; Finch, Lambert & Schaalje, 2001; Lutz et al., 2006): score ~ log(t) × intake + (1 + log(t) | client), fitted by REML as lme4::lmer (Bates et al., 2015) to every score after intake, with t = session − first scored session + 1 and intake = the first valid score. A score worse than its expected value by more than z = ' + String(d.measures.find((m) => m.report?.result.cohort.etr)!.report!.result.cohort.etr!.z) + ' SD of the client variation and residual at that t is off track; a client whose latest score is off track is not on track.',
    });
  }
  blocks.push({
    kind: 'paragraph',
    text: 'Clients who need attention: a risk item (an instrument\'s critical rule) at the latest administration; not on track; reliable deterioration on a measure that is not an alliance measure; an alliance rupture not repaired, the last score still reliably below the pre-rupture level' + (d.inactiveDays !== undefined ? `; no administration in the ${d.inactiveDays} days before the latest date in the file` : '') + '. A last score in the clinical range alone is context, not a reason.',
  });
  blocks.push({
    kind: 'list',
    items: [
      'Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects models using lme4. Journal of Statistical Software, 67(1), 1–48.',
      'Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. Psychometrika, 16, 297–334.',
      'Duhachek, A., & Iacobucci, D. (2004). Alpha\'s standard error (ASE). Journal of Applied Psychology, 89, 792–808.',
      'Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient alpha. Applied Psychological Measurement, 11, 93–103.',
      'Finch, A. E., Lambert, M. J., & Schaalje, B. G. (2001). Psychotherapy quality control: The statistical generation of expected recovery curves for integration into an early warning system. Clinical Psychology & Psychotherapy, 8, 231–242.',
      'Gumz, A., et al. (2012). Measuring the alliance and its ruptures. (Rupture criterion combining intra- and inter-individual variability.)',
      'Jacobson, N. S., & Truax, P. (1991). Clinical significance. Journal of Consulting and Clinical Psychology, 59, 12–19.',
      'Lutz, W., Lambert, M. J., Harmon, S. C., Tschitsaz, A., Schürch, E., & Stulz, N. (2006). The probability of treatment success, failure and duration. Clinical Psychology & Psychotherapy, 13, 223–232.',
      'McDonald, R. P. (1999). Test theory: A unified treatment. Erlbaum.',
      'Stiles, W. B., et al. (2004). Patterns of alliance development and the rupture-repair hypothesis. Journal of Counseling Psychology, 51, 81–92.',
      'Strauss, J. L., et al. (2006). Early alliance, alliance ruptures, and symptom change. Journal of Consulting and Clinical Psychology, 74, 337–345.',
      'Tang, T. Z., & DeRubeis, R. J. (1999). Sudden gains and critical sessions. Journal of Consulting and Clinical Psychology, 67, 894–904.',
      'Wiedemann, M., Thew, G. R., Stott, R., & Ehlers, A. (2020). suddengains: An R package. PLOS ONE, 15(3), e0230276.',
    ],
  });
  return blocks;
}

/** Per measure, what the clients' charts need: each client's index and events. */
interface MeasureIndex {
  m: MeasureTrajectories & { report: TrajectoryReport };
  label: string;
  range: [number, number];
  index: Map<string, number>;
  events: Map<string, TrajectoryReport['result']['events']>;
}

function indexMeasures(d: ReportData): MeasureIndex[] {
  return d.measures.flatMap((m) => {
    if (!m.report) return [];
    const r = m.report;
    const events = new Map<string, TrajectoryReport['result']['events']>();
    for (const e of r.result.events) (events.get(e.client) ?? events.set(e.client, []).get(e.client)!).push(e);
    const scale = m.instrument.scales.find((s) => s.id === m.scaleId)!;
    return [{ m: m as MeasureTrajectories & { report: TrajectoryReport }, label: `${m.instrument.id} ${m.scaleId}`, range: scaleRange(m.instrument, scale), index: new Map(r.result.clients.map((c, i) => [c.client, i])), events }];
  });
}

/** A flagged client's chart: one panel per measure the client has scores on. */
function clientChart(e: AttentionEntry, measures: readonly MeasureIndex[], dir: string): { figure: Figure; block: Block } {
  const panels: MeasurePanel[] = [];
  for (const mi of measures) {
    const i = mi.index.get(e.client);
    if (i === undefined) continue;
    const r = mi.m.report;
    const observations = observationsOf(r.result.series, i);
    if (observations.length === 0) continue;
    const etr = r.result.cohort.etr;
    let expected: MeasurePanel['expected'];
    if (etr) {
      const s0 = observations[0]!.session;
      const intake = observations[0]!.score;
      // The expected course starts at the intake itself.
      expected = [
        { session: s0, expected: intake, limit: intake },
        ...observations.slice(1).map((o) => {
          const t = o.session - s0 + 1;
          const x = expectedScore(etr.model, intake, t);
          const b = bandWidth(etr.model, t, etr.z);
          return { session: o.session, expected: x, limit: r.higherIsBetter ? x - b : x + b };
        }),
      ];
    }
    panels.push({ label: `${mi.label}${r.higherIsBetter ? ' (higher is better)' : ' (lower is better)'}`, range: mi.range, higherIsBetter: r.higherIsBetter, observations, events: mi.events.get(e.client) ?? [], ...(expected ? { expected } : {}), ...(r.clinicalCutoff !== null ? { cutoff: r.clinicalCutoff } : {}) });
  }
  const file = `figures/clients/${safeName(e.client)}.svg`;
  const svg = clientFigure(e.client, panels, `${e.therapist !== '' ? `therapist ${e.therapist} · ` : ''}${e.reasons.map((r) => REASON_TEXT[r]).join(', ')}`);
  return { figure: { file, svg }, block: { kind: 'figure', file: `${dir}${file}`, svg, caption: `${e.client}: ${e.details.join('; ')}` } };
}

/** The attention list as one compact table, and each flagged client's chart (up to `maxCharts`). */
function attentionBlocks(d: ReportData, entries: readonly AttentionEntry[], clients: number, figures: Map<string, string>, opts: { dir: string; maxCharts: number; scope: string }): Block[] {
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: 'Clients who need attention', id: 'attention' }];
  if (entries.length === 0) {
    blocks.push({ kind: 'paragraph', text: `No client ${opts.scope} needs attention: no risk item at the latest session, no outcome off its expected course, no reliable deterioration and no unrepaired alliance rupture.` });
    return blocks;
  }
  const n = attentionCounts(entries);
  const by = (Object.keys(REASON_TEXT) as Reason[]).filter((r) => n[r] > 0).map((r) => `${n[r]} ${REASON_TEXT[r]}`);
  blocks.push({
    kind: 'paragraph',
    text: `${plural(entries.length, 'client')} of ${clients}${opts.scope} (${((100 * entries.length) / Math.max(1, clients)).toFixed(0)} %) need attention: ${by.join(', ')} (a client may have several reasons). Most urgent first: a risk item at the latest session, then an outcome off its expected course, then reliable deterioration, then an alliance rupture not repaired${d.inactiveDays !== undefined ? `, then no session in the last ${d.inactiveDays} days` : ''}. A last score in the clinical range alone is not a reason; it is shown as context. The same list is in attention.csv.`,
  });
  blocks.push({
    kind: 'table',
    head: ['Client', 'Therapist', 'Last session', 'Last date', 'Why', 'Details', 'Clinical range'],
    align: ['l', 'l', 'r', 'l', 'l', 'l', 'l'],
    rows: entries.map((e) => [e.client, e.therapist || '–', Number.isNaN(e.lastSession) ? '–' : String(e.lastSession), e.lastDate || '–', e.reasons.map((r) => REASON_TEXT[r]).join(', '), e.details.join('; '), e.clinical.join('; ') || '–']),
  });
  const measures = indexMeasures(d);
  const shown = entries.slice(0, opts.maxCharts);
  blocks.push({ kind: 'heading', level: 3, text: 'Their charts', id: 'charts' });
  blocks.push({
    kind: 'paragraph',
    text: `One chart per client${entries.length > shown.length ? ` for the ${shown.length} most urgent (all ${entries.length} are in the table above)` : ''}: scores by session for each measure; for outcome measures the expected course (dashed) and its band (shaded: scores beyond it on the worse side are off track, ■); ruptures ▼, repairs ○, sudden gains △ and losses ◇; the cutoff dotted.`,
  });
  for (const e of shown) {
    const { figure, block } = clientChart(e, measures, opts.dir);
    figures.set(figure.file, figure.svg);
    blocks.push(block);
  }
  return blocks;
}

function dateLine(d: ReportData): string {
  const range = d.dates ? `administrations from ${isoDay(d.dates[0])} to ${isoDay(d.dates[1])}` : 'administrations without dates';
  return `Input: ${d.input}, ${d.rows} rows, ${range}. Report made ${d.generatedAt} with rapport ${d.version}.`;
}

/** The expected-response model of a measure and its audit, in sentences and a table. */
function etrBlocks(m: MeasureTrajectories & { report: TrajectoryReport }): Block[] {
  const r = m.report;
  const etr = r.result.cohort.etr;
  if (!etr) return r.etrNote ? [{ kind: 'warning', text: `${m.instrument.id} ${m.scaleId}: no expected treatment response (so no client is "not on track" on it): ${r.etrNote}.` }] : [];
  const f = etr.model.fixed;
  const blocks: Block[] = [
    {
      kind: 'paragraph',
      text: `Expected treatment response (${etr.model.source === 'file' ? `applied from ${etr.model.file}` : `fitted to ${etr.model.nClients} clients and ${etr.model.nObs} scores after intake`}): expected score = ${f.intercept.toFixed(3)} + ${f.log_t.toFixed(3)}·log t + ${f.intake.toFixed(3)}·intake + ${f.log_t_intake.toFixed(3)}·log t·intake, t = session − first scored session + 1; client variation: intercept variance ${f2(etr.model.varIntercept)}, slope variance ${f2(etr.model.varSlope)}, covariance ${f2(etr.model.cov)}; residual variance ${f2(etr.model.varResidual)}. A score is off track when it is worse than expected by more than ${etr.z} SD of the client variation and residual at that t; ${count(r.result.clients, (c) => c.notOnTrack === true)} clients are off track at their latest session.`,
    },
  ];
  const a = etr.audit;
  if (a) {
    blocks.push({
      kind: 'table',
      caption: `Audit: did "off track at any of t = 2–4" predict a poor end (not reliably improved)? Clients with at least 6 scores${a.inSample ? '. Computed on the data the model was fitted to (in sample): it flatters the model; apply a model fitted on earlier cases with --expected for an honest figure.' : '. The model came from a file: out of sample.'}`,
      head: ['', 'Poor end', 'Improved', 'Rate'],
      align: ['l', 'r', 'r', 'r'],
      rows: [
        ['Off track early', String(a.truePositive), String(a.falsePositive), `PPV ${f2(a.ppv)}`],
        ['On track early', String(a.falseNegative), String(a.trueNegative), ''],
        ['Rate', `sensitivity ${f2(a.sensitivity)}`, `specificity ${f2(a.specificity)}`, `${a.clients} clients`],
      ],
    });
  } else if (etr.auditNote) blocks.push({ kind: 'paragraph', text: `No audit: ${etr.auditNote}.` });
  return blocks;
}

export interface BuiltReport {
  blocks: Block[];
  figures: Figure[];
  /** --by-therapist: one page per therapist (its file stem and blocks). */
  therapists: Array<{ name: string; therapist: string; blocks: Block[] }>;
}

export function buildReport(d: ReportData, opts: { byTherapist?: boolean } = {}): BuiltReport {
  const figures = new Map<string, string>();
  const list: Figure[] = [];
  const clients = d.measures.find((m) => m.report)?.report?.result.cohort.nClients ?? 0;
  const blocks: Block[] = [
    { kind: 'heading', level: 1, text: `rapport report: ${d.input}` },
    { kind: 'paragraph', text: dateLine(d) },
    ...attentionBlocks(d, d.attention, clients, figures, { dir: '', maxCharts: MAX_CLIENT_CHARTS, scope: '' }),
    { kind: 'heading', level: 2, text: 'For researchers', id: 'research' },
    { kind: 'paragraph', text: `Instruments: ${d.instruments.map((i) => `${i.id} (${i.name})`).join('; ')}. Tables for analysis: attention.csv, scores.csv, reliability.csv, items.csv, trajectories.csv, events.csv, therapists.csv, cohort.json${d.problems.length > 0 ? ', problems.csv' : ''}.` },
    ...dataSummary(d),
  ];
  const researchFigures: Figure[] = [];
  for (const inst of d.instruments) {
    blocks.push(...instrumentSection(d, inst, researchFigures));
    const m = d.measures.find((x) => x.instrument.id === inst.id);
    if (m) {
      blocks.push(...trajectorySection(m, researchFigures));
      if (m.report) blocks.push(...etrBlocks(m as MeasureTrajectories & { report: TrajectoryReport }));
    }
  }
  if (d.link) blocks.push(...linkBlocks(d.link));
  blocks.push(...therapistSection(d), ...methodsSection(d));
  for (const f of researchFigures) figures.set(f.file, f.svg);

  const therapists: BuiltReport['therapists'] = [];
  if (opts.byTherapist) {
    const ids = [...new Set(d.measures.flatMap((m) => m.report?.result.clients.map((c) => c.therapist) ?? []))].filter((t) => t !== '').sort();
    const taken = new Set<string>();
    for (const t of ids) {
      let name = safeName(t);
      while (taken.has(name.toLowerCase())) name = `${name}-${taken.size}`;
      taken.add(name.toLowerCase());
      const mine = d.attention.filter((e) => e.therapist === t);
      const own = new Set(d.measures.flatMap((m) => m.report?.result.clients.filter((c) => c.therapist === t).map((c) => c.client) ?? []));
      therapists.push({
        name,
        therapist: t,
        blocks: [
          { kind: 'heading', level: 1, text: `rapport report: therapist ${t}` },
          { kind: 'paragraph', text: `${dateLine(d)} This page shows only the clients of therapist ${t} (${own.size}); the whole report is ../report.html.` },
          ...attentionBlocks(d, mine, own.size, figures, { dir: '../', maxCharts: Number.POSITIVE_INFINITY, scope: ` of therapist ${t}` }),
          ...therapistClients(d, t),
        ],
      });
    }
  }
  for (const [file, svg] of figures) list.push({ file, svg });
  return { blocks, figures: list, therapists };
}

/** A therapist's page: every client of theirs with the last score of each measure. */
function therapistClients(d: ReportData, therapist: string): Block[] {
  const measures = d.measures.filter((m): m is MeasureTrajectories & { report: TrajectoryReport } => m.report !== undefined);
  const rows = new Map<string, string[]>();
  measures.forEach((m, k) => {
    for (const c of m.report.result.clients) {
      if (c.therapist !== therapist) continue;
      const row = rows.get(c.client) ?? [c.client, ...measures.map(() => '–')];
      row[k + 1] = c.lastScore === null ? '–' : `${f2(c.lastScore)} (session ${c.lastSession}${c.reliableChange ? `, ${c.reliableChange.replace(/_/g, ' ')}` : ''})`;
      rows.set(c.client, row);
    }
  });
  return [
    { kind: 'heading', level: 2, text: 'All clients', id: 'clients' },
    { kind: 'table', head: ['Client', ...measures.map((m) => `${m.instrument.id} ${m.scaleId}: last score`)], rows: [...rows.values()].sort((a, b) => a[0]!.localeCompare(b[0]!, 'en', { numeric: true })) },
  ];
}

export type { ClientTrajectory };
