/**
 * `rapport score` as a run: one pass, one consumer (the rows' writer). Rows are written a batch at
 * a time, so memory does not grow with the file. Outputs are committed (renamed into place) only
 * when the whole input was read; on any failure they are removed.
 */
import type { Readable, Writable } from 'node:stream';
import { inputError } from '../errors.js';
import type { LoadedInstrument } from '../instrument/types.js';
import type { Dialect, ReadOptions, SkippedRow } from '../input/table.js';
import { fileSink, isStdout, type OutputSink, streamSink } from '../output/sink.js';
import { toCsv } from '../report/csv.js';
import { addedColumns, type InstrumentTally, PROBLEM_COLUMNS, ScoreRows } from '../report/score-rows.js';
import type { ColumnMap } from '../scoring/columns.js';
import { type Consumer, runPass, type ScoredBatch } from './pass.js';
import { openRun } from './prepare.js';

export interface ScoreJobOptions {
  input: string;
  read?: ReadOptions;
  instruments: readonly LoadedInstrument[];
  map?: ColumnMap;
  /** A path, or '-'/undefined for standard output. */
  output?: string;
  errors?: string;
  format: 'csv' | 'json';
  digits?: number;
  /** Neutralise text cells that a spreadsheet would run as formulas (default true). */
  escapeFormulas?: boolean;
  onProgress?: (bytes: number) => void;
}

export interface ScoreSummary {
  input: string;
  rows: number;
  /** Rows read but not data (Qualtrics header rows), and how the file was read. */
  skipped: SkippedRow[];
  dialect: Dialect;
  problems: number;
  instruments: InstrumentTally[];
}

/** Refuses to add an output column the input already has: a silent overwrite would lose data. */
function assertNoColumnClash(header: readonly string[], added: readonly string[], file: string): void {
  const existing = new Set(header.map((h) => h.trim().toLowerCase()));
  const clash = added.filter((c) => existing.has(c.toLowerCase()));
  if (clash.length > 0) {
    throw inputError('COLUMN_EXISTS', `${file} already has column(s) ${clash.join(', ')}, which score would add`, {
      location: { file },
      hint: 'is this file already scored? drop or rename those columns first',
    });
  }
}

/** The consumer that writes score's rows (and, if asked, its problem rows) as each batch comes. */
export class ScoreWriter implements Consumer {
  private started = false;

  constructor(
    readonly rows: ScoreRows,
    private readonly out: OutputSink,
    private readonly errors: OutputSink | undefined,
    private readonly escape: boolean,
    /** Also told each batch's problem rows (the report keeps them for problems.csv). */
    private readonly onProblems?: (rows: string[][]) => void,
  ) {}

  needs(): { scales: true } {
    return { scales: true };
  }

  private async start(): Promise<void> {
    this.started = true;
    await this.out.write(this.rows.head());
    if (this.errors) await this.errors.write(toCsv([[...PROBLEM_COLUMNS]], this.escape));
  }

  async add(batch: ScoredBatch): Promise<void> {
    if (!this.started) await this.start();
    this.rows.add(batch);
    await this.out.write(this.rows.buffer.take());
    const problems = this.rows.takeProblems();
    if (problems.length === 0) return;
    this.onProblems?.(problems);
    if (this.errors) await this.errors.write(toCsv(problems, this.escape));
  }

  async finish(): Promise<void> {
    if (!this.started) await this.start();
    await this.out.write(this.rows.tail());
  }
}

export async function runScoreJob(opts: ScoreJobOptions, io: { stdin: Readable; stdout: Writable }): Promise<ScoreSummary> {
  const json = opts.format === 'json';
  const { table, plans } = await openRun({ ...opts, outputs: [{ option: '-o', path: opts.output ?? '-' }, { option: '--errors', path: opts.errors }] }, io.stdin);
  const instruments = opts.instruments.map((l) => l.instrument);
  assertNoColumnClash(table.header, instruments.flatMap(addedColumns), table.name);
  const escape = opts.escapeFormulas !== false;
  // A UTF-8 comma file is copied row by row as it was read, with the scores appended.
  const copyRaw = !json && table.dialect.format === 'csv' && table.dialect.delimiter === ',';
  const sinks: OutputSink[] = [];
  try {
    const out = isStdout(opts.output) ? streamSink(io.stdout) : await fileSink(opts.output!, '-o');
    sinks.push(out);
    const errors = opts.errors === undefined ? undefined : isStdout(opts.errors) ? streamSink(io.stdout) : await fileSink(opts.errors, '--errors');
    if (errors) sinks.push(errors);
    const writer = new ScoreWriter(new ScoreRows(table.header, instruments, { json, copyRaw, escape, digits: opts.digits }), out, errors, escape);
    await runPass(table, plans, [writer], opts.onProgress ? { onProgress: opts.onProgress } : {});
    await writer.finish();
    for (const s of sinks) await s.commit();
    const { rows } = writer;
    return { input: table.name, rows: rows.rows, skipped: table.skipped, dialect: table.dialect, problems: rows.problems, instruments: rows.tallies };
  } catch (err) {
    await Promise.all(sinks.map((s) => s.abort()));
    throw err;
  }
}
