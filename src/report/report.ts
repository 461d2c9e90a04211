/**
 * The content of `rapport report`: data summary, per-instrument reliability and item statistics,
 * trajectories with figures, the clients who need attention, therapists, and methods. Pure: it
 * turns results into document blocks and figure files (SVG text); the job writes them.
 */
import { naturalOrder } from './format.js';
import type { Instrument } from '../instrument/types.js';
import type { TrajectoryReport } from '../trajectory/measure.js';
import { observationsOf } from '../trajectory/series.js';
import type { InstrumentTally } from './score-rows.js';
import type { ReliabilityReport } from '../reliability/report.js';
import type { ClientTrajectory } from '../trajectory/analyse.js';
import { type Block } from './document.js';
import { type ClientPanel, clientPanelsFigure, cohortFigure, distributionFigure, sessionMeans } from './figures.js';
import { scaleRange } from './instrument-text.js';
import { apa, OMEGA_DESCRIPTION } from './reliability.js';

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
}

export interface Figure {
  file: string;
  svg: string;
}

export interface AttentionRow {
  client: string;
  therapist: string;
  measure: string;
  urgency: number;
  reasons: string[];
  lastSession: number | null;
  lastScore: number | null;
  rci: number | null;
}

/** Whether ruptures were looked for in this measure (alliance measures only). */
const lookedForRuptures = (r: TrajectoryReport): boolean => r.parameters.rupture_method !== null;

const f2 = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(2));
const count = <T>(xs: readonly T[], p: (x: T) => boolean): number => xs.reduce((a, x) => a + (p(x) ? 1 : 0), 0);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * Clients to look at, most urgent first: reliable deterioration (3), a rupture not yet repaired (2),
 * a last score in the clinical range or under the alert threshold (1). Ties: by RCI, worst first.
 */
export function attentionRows(m: MeasureTrajectories): AttentionRow[] {
  const r = m.report;
  if (!r) return [];
  const label = `${m.instrument.id} ${m.scaleId}`;
  const out: AttentionRow[] = [];
  const cutoff = r.clinicalCutoff;
  for (const c of r.result.clients) {
    const reasons: string[] = [];
    let urgency = 0;
    if (c.reliableChange === 'deteriorated') {
      urgency += 3;
      reasons.push(`reliable deterioration (RCI ${f2(c.rci)})`);
    }
    if (c.unresolved > 0 && lookedForRuptures(r)) {
      urgency += 2;
      reasons.push(`${plural(c.unresolved, 'rupture')} not repaired, alliance still below its earlier level`);
    }
    if (cutoff !== null && c.lastScore !== null) {
      const clinical = r.cutoffIsClinical ? (r.higherIsBetter ? c.lastScore <= cutoff : c.lastScore >= cutoff) : r.higherIsBetter ? c.lastScore < cutoff : c.lastScore > cutoff;
      if (clinical) {
        urgency += 1;
        reasons.push(`last score ${f2(c.lastScore)} ${r.higherIsBetter ? (r.cutoffIsClinical ? '≤' : '<') : r.cutoffIsClinical ? '≥' : '>'} ${cutoff}`);
      }
    }
    if (urgency > 0) out.push({ client: c.client, therapist: c.therapist, measure: label, urgency, reasons, lastSession: c.lastSession, lastScore: c.lastScore, rci: c.rci });
  }
  const worse = (x: AttentionRow) => (x.rci === null ? 0 : r.higherIsBetter ? x.rci : -x.rci);
  return out.sort((a, b) => b.urgency - a.urgency || worse(a) - worse(b) || naturalOrder(a.client, b.client));
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
  const attention = attentionRows(m);
  const flagged = attention.slice(0, 9);
  if (flagged.length > 0) {
    const byClient = new Map(cs.map((c, i) => [c.client, i]));
    const panels: ClientPanel[] = flagged.map((a) => {
      const i = byClient.get(a.client)!;
      return { label: a.client, observations: observationsOf(res.series, i), events: res.events.filter((e) => e.client === a.client), note: a.reasons[0]!.split(' (')[0]! };
    });
    const pfile = `figures/${m.instrument.id}-${m.scaleId}-flagged-clients.svg`;
    figures.push({ file: pfile, svg: clientPanelsFigure(panels, range, label, `${m.instrument.id} ${m.scaleId}: clients who need attention`, r.clinicalCutoff ?? undefined, lookedForRuptures(r)) });
    blocks.push({ kind: 'figure', file: pfile, svg: figures.at(-1)!.svg, caption: `Figure: trajectories of the ${flagged.length} most urgent clients (of ${attention.length} flagged) with ${lookedForRuptures(r) ? 'ruptures (▼), repairs (○), ' : ''}sudden gains (△) and losses (◇) marked.` });
  }
  return blocks;
}

function attentionSection(d: ReportData): Block[] {
  const rows = d.measures.flatMap(attentionRows).sort((a, b) => b.urgency - a.urgency);
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: 'Clients who need attention', id: 'attention' }];
  if (rows.length === 0) return [...blocks, { kind: 'paragraph', text: 'No client was flagged.' }];
  const shown = rows.slice(0, 50);
  blocks.push({
    kind: 'paragraph',
    text: `${plural(rows.length, 'client measure')} flagged, most urgent first: reliable deterioration, then alliance ruptures not repaired (the alliance is still below its pre-rupture level), then a last score in the clinical range or under the alert threshold.${rows.length > shown.length ? ` The first ${shown.length} are shown; all clients are in trajectories.csv.` : ''}`,
  });
  blocks.push({
    kind: 'table',
    head: ['Client', 'Therapist', 'Measure', 'Why', 'Last session', 'Last score', 'RCI'],
    align: ['l', 'l', 'l', 'l', 'r', 'r', 'r'],
    rows: shown.map((a) => [a.client, a.therapist, a.measure, a.reasons.join('; '), a.lastSession === null ? '–' : String(a.lastSession), f2(a.lastScore), f2(a.rci)]),
  });
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
  blocks.push({
    kind: 'list',
    items: [
      'Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. Psychometrika, 16, 297–334.',
      'Duhachek, A., & Iacobucci, D. (2004). Alpha\'s standard error (ASE). Journal of Applied Psychology, 89, 792–808.',
      'Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient alpha. Applied Psychological Measurement, 11, 93–103.',
      'Gumz, A., et al. (2012). Measuring the alliance and its ruptures. (Rupture criterion combining intra- and inter-individual variability.)',
      'Jacobson, N. S., & Truax, P. (1991). Clinical significance. Journal of Consulting and Clinical Psychology, 59, 12–19.',
      'McDonald, R. P. (1999). Test theory: A unified treatment. Erlbaum.',
      'Stiles, W. B., et al. (2004). Patterns of alliance development and the rupture-repair hypothesis. Journal of Counseling Psychology, 51, 81–92.',
      'Strauss, J. L., et al. (2006). Early alliance, alliance ruptures, and symptom change. Journal of Consulting and Clinical Psychology, 74, 337–345.',
      'Tang, T. Z., & DeRubeis, R. J. (1999). Sudden gains and critical sessions. Journal of Consulting and Clinical Psychology, 67, 894–904.',
      'Wiedemann, M., Thew, G. R., Stott, R., & Ehlers, A. (2020). suddengains: An R package. PLOS ONE, 15(3), e0230276.',
    ],
  });
  return blocks;
}

export function buildReport(d: ReportData): { blocks: Block[]; figures: Figure[] } {
  const figures: Figure[] = [];
  const blocks: Block[] = [
    { kind: 'heading', level: 1, text: `rapport report: ${d.input}` },
    { kind: 'paragraph', text: `Instruments: ${d.instruments.map((i) => `${i.id} (${i.name})`).join('; ')}. Tables for analysis: scores.csv, reliability.csv, items.csv, trajectories.csv, events.csv, therapists.csv, cohort.json${d.problems.length > 0 ? ', problems.csv' : ''}.` },
    ...dataSummary(d),
    ...attentionSection(d),
  ];
  for (const inst of d.instruments) {
    blocks.push(...instrumentSection(d, inst, figures));
    const m = d.measures.find((x) => x.instrument.id === inst.id);
    if (m) blocks.push(...trajectorySection(m, figures));
  }
  blocks.push(...therapistSection(d), ...methodsSection(d));
  return { blocks, figures };
}

export type { ClientTrajectory };
