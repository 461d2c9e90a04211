/**
 * `rapport report` as a job: run score, reliability and trajectories over the same input, write
 * every table, the figures and the report (Markdown and self-contained HTML) into a temporary
 * folder, and move it into place only when all of it succeeded — a failed run leaves no half report.
 * Standard input is first saved to a temporary file, since the jobs each read the data.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse/sync';
import { RapportError, usageError } from '../errors.js';
import { sweepStale, track } from '../output/cleanup.js';
import { openOwnedFolder } from '../output/folder.js';
import type { LoadedInstrument } from '../instrument/types.js';
import { renderHtmlDocument, renderMarkdownDocument } from '../report/document.js';
import { createPseudonymizer } from '../report/pseudonym.js';
import { itemColumns, itemRecords, renderLedCsv, renderRecordsCsv, scaleColumns, scaleRecord } from '../report/reliability.js';
import { attentionRows, buildReport, type MeasureTrajectories, type ReportProblem } from '../report/report.js';
import { PROBLEM_COLUMNS } from '../report/score-rows.js';
import { cohortObject, EVENT_COLUMNS, eventRows, THERAPIST_COLUMNS, therapistRows, TRAJECTORY_COLUMNS, trajectoryRows } from '../report/trajectories.js';
import type { MissingMode } from '../reliability/analyse.js';
import type { ColumnMap } from '../scoring/columns.js';
import { findColumn, type InputHooks } from './prepare.js';
import { resolveRoles } from '../io/presets.js';
import type { ReadOptions, SkippedRow } from '../io/table.js';
import { runReliabilityJob } from './reliability.js';
import { runScoreJob, type ScoreSummary } from './score.js';
import { chooseScale, runTrajectoryJob, type TrajectoryParams, type TrajectoryReport } from './trajectories.js';

export interface ReportJobOptions extends TrajectoryParams {
  input: string;
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
  /** score and reliability: read the file in this many parts at once (src/parallel). */
  threads?: number;
  version: string;
  /** Told when a pass over the data starts, and how far it got (bytes of `total`). */
  onPhase?: (phase: string) => void;
  onProgress?: (bytes: number, total: number) => void;
}

export interface ReportResult {
  outDir: string;
  files: string[];
  rows: number;
  score: ScoreSummary;
  reliability: Awaited<ReturnType<typeof runReliabilityJob>>;
  measures: MeasureTrajectories[];
  problems: ReportProblem[];
  /** Flagged clients, in all and by reason (a client may have several). */
  attention: { clients: number; deteriorated: number; ruptures: number; cutoff: number };
}

/** What a report folder written by rapport before manifests holds (it is replaced like one with a manifest). */
export const LEGACY_REPORT = {
  required: ['report.md', 'report.html', 'scores.csv', 'reliability.csv', 'items.csv', 'cohort.json'],
  allowed: (p: string) => /^(report\.(md|html)|(scores|reliability|items|trajectories|events|therapists|problems)\.csv|cohort\.json|figures\/[a-z0-9_-]+\.svg)$/.test(p),
};

function pseudonymHooks(opts: ReportJobOptions, name: string): ((header: readonly string[], skipped: readonly SkippedRow[]) => (fields: string[]) => void) | undefined {
  if (!opts.pseudonymize) return undefined;
  const p = createPseudonymizer(opts.salt);
  return (header, skipped) => {
    const roles = resolveRoles(header, skipped, opts, (column, option) => findColumn(header, column, option, name));
    const c = roles.client;
    const t = roles.therapist;
    return (fields) => {
      fields[c] = p.code('client', (fields[c] ?? '').trim());
      if (t >= 0) fields[t] = p.code('therapist', (fields[t] ?? '').trim());
    };
  };
}

function summariseAttention(rows: ReturnType<typeof attentionRows>): ReportResult['attention'] {
  const clients = (p: (r: (typeof rows)[number]) => boolean) => new Set(rows.filter(p).map((r) => r.client)).size;
  return {
    clients: clients(() => true),
    deteriorated: clients((r) => r.reasons.some((x) => x.startsWith('reliable deterioration'))),
    ruptures: clients((r) => r.reasons.some((x) => x.includes('rupture'))),
    cutoff: clients((r) => r.reasons.some((x) => x.startsWith('last score'))),
  };
}

function trajectoryParams(o: ReportJobOptions): TrajectoryParams {
  const { client, session, therapist, preset, eventMap, reliability, sd, suddenGainCutoff, cutoff, ruptureMethod, repairWindow } = o;
  return { client, session, therapist, preset, eventMap, reliability, sd, suddenGainCutoff, cutoff, ruptureMethod, repairWindow };
}

const LOCATION_CODES = new Set(['CLIENT_MISSING', 'SESSION_NOT_INTEGER', 'DUPLICATE_SESSION', 'SCORE_NOT_NUMERIC']);

export async function runReportJob(opts: ReportJobOptions, io: { stdin: Readable; stdout: Writable }): Promise<ReportResult> {
  const { stdin } = io;
  if ((opts.reliability ?? opts.sd ?? opts.suddenGainCutoff ?? opts.cutoff) !== undefined && opts.instruments.length > 1) {
    throw usageError('AMBIGUOUS_TRAJECTORY_OPTION', '--reliability, --sd, --sudden-gain-cutoff and --cutoff apply to one measure: use them with a single instrument', 'run the report per instrument, or leave them out to use each instrument\'s defaults');
  }
  const folder = await openOwnedFolder(opts.outDir, { command: 'report', version: opts.version, input: opts.input, legacy: LEGACY_REPORT });
  const work = folder.dir;
  let spooled: string | undefined;
  let untrackSpool = () => {};
  try {
    let input = opts.input;
    if (input === '-') {
      await sweepStale(tmpdir(), 'rapport-stdin-');
      const dir = await mkdtemp(join(tmpdir(), `rapport-stdin-${process.pid}-`));
      untrackSpool = track(dir);
      spooled = join(dir, 'stdin.csv');
      await pipeline(stdin, createWriteStream(spooled));
      input = spooled;
    }
    const total = (await stat(input)).size;
    const name = opts.input === '-' ? '<stdin>' : opts.input;
    const hooks = (phase: string): InputHooks => {
      opts.onPhase?.(phase);
      const transform = pseudonymHooks(opts, name);
      return { ...(transform ? { transform } : {}), onProgress: (b: number) => opts.onProgress?.(b, total) };
    };
    const escape = opts.escapeFormulas !== false;

    const scoreErrors = join(work, '.score-problems.csv');
    const score = await runScoreJob(
      { input, instruments: opts.instruments, map: opts.map, output: join(work, 'scores.csv'), errors: scoreErrors, format: 'csv', digits: opts.digits, escapeFormulas: escape, read: opts.read, hooks: hooks('scoring'), threads: opts.threads },
      io,
    );
    const reliability = await runReliabilityJob(
      { input, instruments: opts.instruments, map: opts.map, missing: opts.missing, boot: opts.boot, seed: opts.seed, outputs: [], read: opts.read, hooks: hooks('reliability'), threads: opts.threads },
      stdin,
    );
    folder.record('scores.csv');
    await folder.writeFile('reliability.csv', renderRecordsCsv(reliability.scales.map((s) => scaleRecord(s)), scaleColumns(), opts.digits, escape));
    await folder.writeFile('items.csv', renderRecordsCsv(reliability.scales.flatMap((s) => itemRecords(s)), itemColumns(), opts.digits, escape));

    const measures: MeasureTrajectories[] = [];
    for (const loaded of opts.instruments) {
      const inst = loaded.instrument;
      let scaleId: string;
      try {
        scaleId = chooseScale(inst.scales, opts.scale !== undefined && inst.scales.some((s) => s.id === opts.scale) ? opts.scale : undefined, inst.id).id;
      } catch (err) {
        if (err instanceof RapportError && err.code === 'SCALE_REQUIRED') {
          measures.push({ instrument: inst, scaleId: inst.scales[0]!.id, skipped: `${inst.id} has no total scale; name one with --scale` });
          continue;
        }
        throw err;
      }
      const report: TrajectoryReport = await runTrajectoryJob(
        {
          ...trajectoryParams(opts), input, instrument: loaded, scale: scaleId, map: opts.map, read: opts.read, unusableReliability: 'omit',
          // --rupture-method is for the alliance measures; the others are told only when none is one.
          ...(inst.construct !== 'alliance' && opts.instruments.some((l) => l.instrument.construct === 'alliance') ? { ruptureMethod: undefined } : {}),
          outputs: [], hooks: hooks(`trajectories (${inst.id})`), threads: opts.threads,
        },
        stdin,
      );
      report.input = name;
      measures.push({ instrument: inst, scaleId, report });
    }

    // Tables across measures, with the measure in front.
    const done = measures.filter((m): m is MeasureTrajectories & { report: TrajectoryReport } => m.report !== undefined);
    const parts = (rows: (report: TrajectoryReport) => Array<Record<string, string | number | null>>) => done.map((m) => ({ lead: { instrument: m.instrument.id, scale: m.scaleId }, records: rows(m.report!) }));
    await folder.writeFile('trajectories.csv', renderLedCsv(parts(trajectoryRows), ['instrument', 'scale', ...TRAJECTORY_COLUMNS, 'clinical_change'], opts.digits, escape));
    await folder.writeFile('events.csv', renderLedCsv(parts(eventRows), ['instrument', 'scale', ...EVENT_COLUMNS], opts.digits, escape));
    await folder.writeFile('therapists.csv', renderLedCsv(parts(therapistRows), ['instrument', 'scale', ...THERAPIST_COLUMNS], opts.digits, escape));
    await folder.writeFile('cohort.json', `${JSON.stringify(Object.fromEntries(done.map((m) => [`${m.instrument.id}/${m.scaleId}`, cohortObject(m.report)])), null, 2)}\n`);

    // Problems: every answer problem from scoring, plus row problems found by trajectories (once each).
    const problems: Array<ReportProblem & { instrument: string; item: string }> = (parse(await readFile(scoreErrors, 'utf8'), { columns: true }) as Array<Record<string, string>>).map((p) => ({
      line: Number(p.line), column: p.column!, value: p.value!, code: p.code!, message: p.message!, instrument: p.instrument!, item: p.item!,
    }));
    await rm(scoreErrors);
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

    const { blocks, figures } = buildReport({
      input: name, rows: score.rows, instruments: opts.instruments.map((l) => l.instrument), score, reliability, missing: opts.missing,
      measures, problems, pseudonymized: opts.pseudonymize, version: opts.version,
    });
    for (const f of figures) await folder.writeFile(f.file, f.svg);
    await folder.writeFile('report.md', renderMarkdownDocument(blocks));
    await folder.writeFile('report.html', renderHtmlDocument(`rapport report: ${name}`, blocks));

    const files = [...folder.files].sort();
    await folder.commit();
    return { outDir: opts.outDir, files, rows: score.rows, score, reliability, measures, problems, attention: summariseAttention(done.flatMap((m) => attentionRows(m))) };
  } catch (err) {
    await folder.abort();
    throw err;
  } finally {
    if (spooled) await rm(dirname(spooled), { recursive: true, force: true });
    untrackSpool();
  }
}
