/**
 * `rapport report` as a run: ONE pass over the input, with every consumer at once — the scored
 * rows' writer (scores.csv, streamed), the reliability moments of every scale, and one trajectory
 * table per instrument — then the analyses, the tables, the figures and the report (Markdown and
 * self-contained HTML), all written into a folder rapport owns (src/output/folder.ts), put in place
 * whole at the end. Standard input is read once, like a file.
 */
import type { Readable, Writable } from 'node:stream';
import { RapportError, usageError } from '../errors.js';
import type { LoadedInstrument } from '../instrument/types.js';
import { resolveRoles } from '../input/presets.js';
import type { ReadOptions } from '../input/table.js';
import { openOwnedFolder, type OwnedFolder } from '../output/folder.js';
import { fileSink } from '../output/sink.js';
import { renderHtmlDocument, renderMarkdownDocument } from '../report/document.js';
import { createPseudonymizer } from '../report/pseudonym.js';
import { itemColumns, itemRecords, renderLedCsv, renderRecordsCsv, scaleColumns, scaleRecord } from '../report/reliability.js';
import { buildReport, type MeasureTrajectories, type ReportLink, type ReportProblem } from '../report/report.js';
import { PROBLEM_COLUMNS, ScoreRows } from '../report/score-rows.js';
import { ATTENTION_COLUMNS, attentionRows, cohortObject, EVENT_COLUMNS, eventRows, THERAPIST_COLUMNS, therapistRows, TRAJECTORY_COLUMNS, trajectoryRows } from '../report/trajectories.js';
import type { AttentionEntry } from '../trajectory/attention.js';
import type { MissingMode } from '../reliability/analyse.js';
import { analyseCollected } from '../reliability/collected.js';
import { ReliabilityConsumer } from '../reliability/consumer.js';
import { ClusterConsumer } from '../reliability/clusters.js';
import { fitLink, linkPairs } from '../trajectory/link.js';
import { renderLinkCsv } from '../report/link.js';
import type { ReliabilityReport } from '../reliability/report.js';
import type { ColumnMap } from '../scoring/columns.js';
import { analyseMeasure, chooseScale, type TrajectoryParams, type TrajectoryReport } from '../trajectory/measure.js';
import { runPass } from './pass.js';
import { findColumn, openRun } from './prepare.js';
import { ScoreWriter, type ScoreSummary } from './score.js';
import { attentionOf, dateRange, type MeasureSpec, trajectoryConsumer } from './trajectories.js';

export interface ReportJobOptions extends TrajectoryParams {
  input: string;
  /** Within- and between-client reliability (two-level models); default true. */
  twoLevel?: boolean;
  instruments: readonly LoadedInstrument[];
  map?: ColumnMap;
  outDir: string;
  pseudonymize: boolean;
  salt: string;
  missing: MissingMode;
  boot?: number;
  seed: number;
  scale?: string;
  digits?: number;
  escapeFormulas?: boolean;
  read?: ReadOptions;
  version: string;
  /** Where the CLI will save the fitted expected-response models (checked here against the input). */
  saveExpected?: string;
  /** Also write one page per therapist (therapists/<id>.html and .md). */
  byTherapist?: boolean;
  /** When the report is made (ISO date and time), as it says. */
  generatedAt: string;
  /** Told when a phase starts (reading, analysing, writing), and how far the reading got (bytes of the input). */
  onPhase?: (phase: string) => void;
  onProgress?: (bytes: number) => void;
}

export interface ReportResult {
  outDir: string;
  files: string[];
  rows: number;
  score: ScoreSummary;
  reliability: ReliabilityReport;
  measures: MeasureTrajectories[];
  problems: ReportProblem[];
  /** The clients who need attention (attention.csv). */
  attention: AttentionEntry[];
  /** Clients in the data. */
  clients: number;
}

/** What a report folder written by rapport before manifests holds (it is replaced like one with a manifest). */
export const LEGACY_REPORT = {
  required: ['report.md', 'report.html', 'scores.csv', 'reliability.csv', 'items.csv', 'cohort.json'],
  allowed: (p: string) => /^(report\.(md|html)|(scores|reliability|items|trajectories|events|therapists|problems)\.csv|cohort\.json|figures\/[a-z0-9_-]+\.svg)$/.test(p),
};

/** Row problems of the trajectories that the report lists once (the answers' problems come from scoring). */
const LOCATION_CODES = new Set(['CLIENT_MISSING', 'SESSION_NOT_INTEGER', 'EVENT_UNMAPPED', 'EVENT_WITHOUT_SESSION', 'DATE_INVALID', 'DUPLICATE_SESSION', 'SCORE_NOT_NUMERIC']);

export async function runReportJob(opts: ReportJobOptions, io: { stdin: Readable; stdout: Writable }): Promise<ReportResult> {
  if ((opts.reliability ?? opts.sd ?? opts.suddenGainCutoff ?? opts.cutoff) !== undefined && opts.instruments.length > 1) {
    throw usageError('AMBIGUOUS_TRAJECTORY_OPTION', '--reliability, --sd, --sudden-gain-cutoff and --cutoff apply to one measure: use them with a single instrument', 'run the report per instrument, or leave them out to use each instrument\'s defaults');
  }
  const folder = await openOwnedFolder(opts.outDir, { command: 'report', version: opts.version, input: opts.input, legacy: LEGACY_REPORT });
  try {
    const escape = opts.escapeFormulas !== false;
    const { name, instruments, score, scoreProblems, reliability, measures, link, attention, dates } = await readAndAnalyse(opts, io, folder);

    opts.onPhase?.('writing');
    await folder.writeFile('reliability.csv', renderRecordsCsv(reliability.scales.map((s) => scaleRecord(s)), scaleColumns(), opts.digits, escape));
    await folder.writeFile('items.csv', renderRecordsCsv(reliability.scales.flatMap((s) => itemRecords(s)), itemColumns(), opts.digits, escape));
    if (link && !('failure' in link.result)) await folder.writeFile('link.csv', renderLinkCsv({ predictor: link.predictor, outcome: link.outcome, result: link.result }, opts.digits, escape));
    await folder.writeFile('attention.csv', renderRecordsCsv(attentionRows(attention), ATTENTION_COLUMNS, opts.digits, escape));

    // Tables across measures, with the measure in front.
    const done = measures.filter((m): m is MeasureTrajectories & { report: TrajectoryReport } => m.report !== undefined);
    const parts = (rows: (report: TrajectoryReport) => Array<Record<string, string | number | null>>) => done.map((m) => ({ lead: { instrument: m.instrument.id, scale: m.scaleId }, records: rows(m.report) }));
    await folder.writeFile('trajectories.csv', renderLedCsv(parts(trajectoryRows), ['instrument', 'scale', ...TRAJECTORY_COLUMNS, 'clinical_change'], opts.digits, escape));
    await folder.writeFile('events.csv', renderLedCsv(parts(eventRows), ['instrument', 'scale', ...EVENT_COLUMNS], opts.digits, escape));
    await folder.writeFile('therapists.csv', renderLedCsv(parts(therapistRows), ['instrument', 'scale', ...THERAPIST_COLUMNS], opts.digits, escape));
    await folder.writeFile('cohort.json', `${JSON.stringify(Object.fromEntries(done.map((m) => [`${m.instrument.id}/${m.scaleId}`, cohortObject(m.report)])), null, 2)}\n`);

    // Problems: every answer problem from scoring, plus the row problems trajectories found (once each).
    const problems: Array<ReportProblem & { instrument: string; item: string }> = scoreProblems.map(([line, column, value, code, message, instrument, item]) => ({
      line: Number(line), column: column!, value: value!, code: code!, message: message!, instrument: instrument!, item: item!,
    }));
    const seen = new Set<string>();
    for (const m of done) {
      for (const p of m.report.problems) {
        const key = `${p.line}/${p.code}/${p.column}`;
        if (!LOCATION_CODES.has(p.code) || seen.has(key)) continue;
        seen.add(key);
        problems.push({ ...p, instrument: '', item: '' });
      }
    }
    problems.sort((a, b) => a.line - b.line);
    if (problems.length > 0) await folder.writeFile('problems.csv', renderRecordsCsv(problems.map((p) => ({ ...p })), PROBLEM_COLUMNS, undefined, escape));

    const clients = new Set(measures.flatMap((m) => m.report?.result.clients.map((c) => c.client) ?? [])).size;
    const { blocks, figures, therapists } = buildReport(
      {
        input: name, rows: score.rows, instruments, score, reliability, missing: opts.missing,
        measures, problems, pseudonymized: opts.pseudonymize, version: opts.version,
        attention, dates, generatedAt: opts.generatedAt, ...(link ? { link } : {}),
        ...(opts.inactiveDays === undefined ? {} : { inactiveDays: opts.inactiveDays }),
      },
      { byTherapist: opts.byTherapist === true },
    );
    for (const f of figures) await folder.writeFile(f.file, f.svg);
    await folder.writeFile('report.md', renderMarkdownDocument(blocks));
    await folder.writeFile('report.html', renderHtmlDocument(`rapport report: ${name}`, blocks));
    for (const t of therapists) {
      await folder.writeFile(`therapists/${t.name}.md`, renderMarkdownDocument(t.blocks));
      await folder.writeFile(`therapists/${t.name}.html`, renderHtmlDocument(`rapport report: therapist ${t.therapist}`, t.blocks));
    }

    const files = [...folder.files].sort();
    await folder.commit();
    return { outDir: opts.outDir, files, rows: score.rows, score, reliability, measures, problems, attention, clients };
  } catch (err) {
    await folder.abort();
    throw err;
  }
}

/**
 * The pass and the analyses: the input read once through every consumer (scores.csv is written on
 * the way), then what each consumer gathered analysed. Only the results leave: the consumers, with
 * their row-level tables (every administration, every item answer, every client's sums), are let go
 * when this returns, before the tables and the report are rendered.
 */
async function readAndAnalyse(opts: ReportJobOptions, io: { stdin: Readable; stdout: Writable }, folder: OwnedFolder) {
  const escape = opts.escapeFormulas !== false;
  const { table, plans } = await openRun({ ...opts, outputs: [{ option: '--save-expected', path: opts.saveExpected }] }, io.stdin);
  const name = table.name;
  const instruments = opts.instruments.map((l) => l.instrument);

  // The consumers: the rows' writer, the moments of every scale, a table per instrument followed.
  const rowsSink = await fileSink(`${folder.dir}/scores.csv`);
  const scoreProblems: string[][] = [];
  const writer = new ScoreWriter(new ScoreRows(table.header, instruments, { json: false, copyRaw: table.dialect.format === 'csv' && table.dialect.delimiter === ',', escape, digits: opts.digits }), rowsSink, undefined, escape, (rows) => scoreProblems.push(...rows));
  const reliabilityConsumer = new ReliabilityConsumer(plans, instruments.map((i) => i.scales), { byIndex: -1, listwise: opts.missing === 'listwise', keepRows: (opts.boot ?? 0) > 0 });
  const followed: Array<{ k: number; scaleId: string; params: TrajectoryParams; m: number } | { k: number; skipped: string }> = [];
  const specs: MeasureSpec[] = [];
  plans.forEach((plan, k) => {
    const inst = plan.instrument;
    let scaleId: string;
    try {
      scaleId = chooseScale(inst.scales, opts.scale !== undefined && inst.scales.some((s) => s.id === opts.scale) ? opts.scale : undefined, inst.id).id;
    } catch (err) {
      if (err instanceof RapportError && err.code === 'SCALE_REQUIRED') {
        followed.push({ k, skipped: `${inst.id} has no total scale; name one with --scale` });
        return;
      }
      throw err;
    }
    // --rupture-method is for the alliance measures; the others are told only when none is one.
    const params: TrajectoryParams = { ...opts, unusableReliability: 'omit', ...(inst.construct !== 'alliance' && instruments.some((i) => i.construct === 'alliance') ? { ruptureMethod: undefined } : {}) };
    followed.push({ k, scaleId, params, m: specs.length });
    specs.push({ plan, k, scale: scaleId, params });
  });
  const { consumer: trajectories, contexts } = trajectoryConsumer(table, specs, opts);
  const transform = opts.pseudonymize ? pseudonymizer(opts, table.header, table.skipped, name) : undefined;

  opts.onPhase?.('reading');
  const clientIndex = specs.length > 0 ? trajectories.roles.client : table.header.findIndex((h) => h.trim().toLowerCase() === 'client_id');
  const clusters = clientIndex >= 0 && opts.twoLevel !== false ? new ClusterConsumer(plans, reliabilityConsumer.layout, clientIndex, -1, (opts.boot ?? 0) > 0) : undefined;
  await runPass(table, plans, [writer, ...(clusters ? [clusters] : []), reliabilityConsumer, ...(specs.length > 0 ? [trajectories] : [])], {
    ...(transform ? { transform } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  await writer.finish();
  await rowsSink.commit();
  folder.record('scores.csv');
  const score: ScoreSummary = { input: name, rows: writer.rows.rows, skipped: table.skipped, dialect: table.dialect, problems: writer.rows.problems, instruments: writer.rows.tallies };

  opts.onPhase?.('analysing');
  const reliability: ReliabilityReport = {
    input: name,
    rows: reliabilityConsumer.rows,
    problems: reliabilityConsumer.problems,
    problemCount: reliabilityConsumer.problemCount,
    scales: await analyseCollected(reliabilityConsumer, plans, {
      missing: opts.missing, ...(opts.boot === undefined ? {} : { boot: opts.boot }), seed: opts.seed, grouped: false,
      ...(clusters ? { clusters: { consumer: clusters, column: table.header[clientIndex]! } } : {}),
    }),
    ...(clusters ? { client: table.header[clientIndex]!, rowsWithoutClient: clusters.rowsWithoutClient } : {}),
  };

  const measures: MeasureTrajectories[] = followed.map((f) => {
    const inst = plans[f.k]!.instrument;
    if (!('m' in f)) return { instrument: inst, scaleId: inst.scales[0]!.id, skipped: f.skipped };
    return { instrument: inst, scaleId: f.scaleId, report: analyseMeasure(trajectories, f.m, contexts[f.m]!, f.params) };
  });

  // Alliance → next-session outcome, within and between clients, when the file has both kinds of measure.
  const alliance = followed.find((f) => 'm' in f && plans[f.k]!.instrument.construct === 'alliance');
  const outcome = followed.find((f) => 'm' in f && plans[f.k]!.instrument.construct === 'outcome');
  let link: ReportLink | undefined;
  if (alliance && outcome && 'm' in alliance && 'm' in outcome) {
    const label = (f: { k: number; scaleId: string }) => `${plans[f.k]!.instrument.id}/${f.scaleId}`;
    const result = fitLink(linkPairs(trajectories.admins.buildSeries(alliance.m).series, trajectories.admins.buildSeries(outcome.m).series, false), { detrend: false, therapist: false });
    link = { predictor: label(alliance), outcome: label(outcome), result };
  }

  const attention = attentionOf(trajectories, measures.flatMap((m) => (m.report ? [{ label: m.report.measure, report: m.report }] : [])), opts.inactiveDays);
  return { name, instruments, score, scoreProblems, reliability, measures, link, attention, dates: dateRange(trajectories) };
}

/** Client and therapist ids replaced by their codes in every row, before anything is scored or written. */
function pseudonymizer(opts: ReportJobOptions, header: readonly string[], skipped: Parameters<typeof resolveRoles>[1], name: string): (fields: string[]) => void {
  const p = createPseudonymizer(opts.salt);
  const roles = resolveRoles(header, skipped, opts, (column, option) => findColumn(header, column, option, name));
  const c = roles.client;
  const t = roles.therapist;
  return (fields) => {
    fields[c] = p.code('client', (fields[c] ?? '').trim());
    if (t >= 0) fields[t] = p.code('therapist', (fields[t] ?? '').trim());
  };
}
