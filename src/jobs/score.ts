/**
 * `rapport score` as a job: read -> score -> write, streaming. Rows are written in batches, so
 * memory stays flat whatever the number of rows. Outputs are committed (renamed into place) only
 * when the whole input was read; on any failure they are removed.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Dialect, ReadOptions, SkippedRow } from '../io/table.js';
import { inputError } from '../errors.js';
import type { Instrument, LoadedInstrument } from '../instrument/types.js';
import type { CsvRecord, RecordBatch } from '../io/csv-read.js';
import { assertSplittable, checkStart, OnePart, type PartInput, partInput, partPlans, type PartStart, planSplit, type RunningPart, startPart } from '../parallel/parts.js';
import { csvField, escapeFormula, toCsv } from '../report/csv.js';
import { formatNumber } from '../report/format.js';
import { type DigitRows, type FastBatch, FastRecord, RowAssembler } from '../io/fast-csv.js';
import { ByteBuilder } from '../output/bytes.js';
import { sweepStale, track } from '../output/cleanup.js';
import { fileSink, isStdout, type OutputSink, streamSink } from '../output/sink.js';
import { addedColumns, PROBLEM_COLUMNS, renderProblemRows, renderProblemsCell, renderScoreFields, renderScoreJson } from '../report/score-rows.js';
import type { ColumnMap } from '../scoring/columns.js';
import { digitRowsFor, type InstrumentScore, type InstrumentStatus, type ItemValues, newInstrumentScore, newItemValues, readItems, type ScoringPlan, PRORATED, STATUSES, scaleScore, scaleState, scoreDigitRow, scoreItems } from '../scoring/score.js';
import { type InputHooks, prepareInput } from './prepare.js';

export interface ScoreJobOptions {
  input: string;
  hooks?: InputHooks;
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
  /** Read a large file in two parts at once (src/parallel): 1 never; default 2 for files of 32 MB or more on 2+ cores. */
  threads?: number;
}

export interface InstrumentSummary {
  id: string;
  counts: Record<InstrumentStatus, number>;
  problems: number;
}

export interface ScoreSummary {
  input: string;
  rows: number;
  /** Rows read but not data (Qualtrics header rows), and how the file was read. */
  skipped: SkippedRow[];
  dialect: Dialect;
  problems: number;
  instruments: InstrumentSummary[];
  /** How many parts the file was read in at once (2 for a large file on 2+ cores; src/parallel). */
  parts: number;
}

/** Output held in memory at most while the worker confirms where its part starts (it takes ~0.2 s to start). */
const HELD_BYTES = 32 << 20;

/** Distinct fractions whose text numberText remembers (continuous answers need not fill memory). */
const MAX_TEXTS = 8192;

const COMMA = 0x2c;
const LF = 0x0a;

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

/** Scores batches of rows into CSV (or JSON) bytes and problem rows, keeping the tallies. */
export class RowScorer {
  rows = 0;
  /** Rows the kernel wrote (RowAssembler). */
  assembled = 0;
  problems = 0;
  readonly tallies: InstrumentSummary[];
  readonly buffer = new ByteBuilder();
  problemRows: string[][] = [];
  private readonly scratch: ItemValues[];
  private readonly scores: InstrumentScore[];
  /** Each plan's batch reader for one-digit answers (src/io/fast-csv.ts DigitRows), if it has one; and whether it read this batch. */
  private readonly digitRows: Array<DigitRows | undefined>;
  private readonly digitBatch: boolean[];
  /** The kernel that writes whole rows (one instrument, rows copied as read). */
  private readonly assembler: RowAssembler | undefined;

  constructor(
    private readonly header: readonly string[],
    private readonly instruments: readonly Instrument[],
    private readonly plans: readonly ScoringPlan[],
    /** `assemble: false` writes every row in JavaScript (for tests that compare the two). */
    private readonly opts: { json: boolean; copyRaw: boolean; escape: boolean; digits: number | undefined; assemble?: boolean },
  ) {
    this.tallies = instruments.map((i) => ({ id: i.id, counts: { ok: 0, prorated: 0, incomplete: 0, invalid: 0 }, problems: 0 }));
    this.scratch = plans.map(newItemValues);
    this.scores = plans.map(newInstrumentScore);
    this.digitRows = plans.map((p) => digitRowsFor(p, false));
    this.digitBatch = plans.map(() => false);
    this.assembler = plans.length === 1 && !opts.json && opts.copyRaw && opts.assemble !== false && this.digitRows[0] ? new RowAssembler(plans[0]!.scales.length) : undefined;
  }

  /** Whether a row's raw bytes cannot be copied because a cell must be neutralised as a formula. */
  private mustRewrite(r: FastRecord): boolean {
    if (!this.opts.escape || !r.formulaLike) return false;
    for (let i = 0; i < r.count; i++) if (r.startsLikeFormula(i) && escapeFormula(r.text(i)) !== r.text(i)) return true;
    return false;
  }

  add(batch: RecordBatch): void {
    const { plans, digitRows, digitBatch, assembler } = this;
    for (let k = 0; k < plans.length; k++) digitBatch[k] = digitRows[k]?.read(batch) === true;
    if (assembler !== undefined && digitBatch[0] && assembler.begin(batch)) {
      // One instrument, rows copied as read: the kernel writes the rows read with the batch, this
      // class the others (answers that are not one digit, cells that look like formulas).
      const n = batch.length;
      const written = this.codeRows(batch as FastBatch, assembler);
      for (let j = 0; j < n; ) {
        j = assembler.run(j, this.copyOut);
        if (j < n) this.addRow(batch.at(j), j++);
      }
      this.rows += written;
      this.assembled += written;
      return;
    }
    for (let j = 0; j < batch.length; j++) this.addRow(batch.at(j), j);
  }

  private readonly copyOut = (bytes: Uint8Array, start: number, end: number): void => this.buffer.copy(bytes, start, end);

  /**
   * The assembler's codes for a batch read by DigitRows: each scale's value (a whole number, or its
   * text as formatNumber writes it, as ByteBuilder.number would), the answered count and status,
   * tallied; -1 for the records addRow writes. Returns how many the kernel will write.
   */
  private codeRows(batch: FastBatch, assembler: RowAssembler): number {
    const plan = this.plans[0]!;
    const rows = this.digitRows[0]!;
    const counts = this.tallies[0]!.counts;
    const { escape, digits } = this.opts;
    const ns = plan.scales.length;
    const { codes, codeAt } = assembler;
    const { answered, sums } = rows;
    let written = 0;
    for (let j = 0, c = codeAt; j < batch.length; j++, c += ns + 2) {
      const a = answered[j]!;
      // Cells that may be formulas are checked (and rewritten) the general way.
      if (a < 0 || (escape && batch.formulaLike[batch.first + j] === 1)) {
        codes[c] = -1;
        continue;
      }
      // scoreDigitRow's rules, each value straight into its code (no array of boxed fractions).
      let status = 0;
      for (let k = 0, at = 2 * j * ns; k < ns; k++, at += 2) {
        const sc = plan.scales[k]!;
        const len = sc.items.length;
        const state = scaleState(sums[at + 1]!, len, false, sc.maxMissing);
        if (state > status) status = state;
        let code = -1;
        if (state <= PRORATED) {
          const v = scaleScore(sums[at]!, sums[at + 1]!, len, sc.method);
          code = (v | 0) === v && v >= 0 ? v : assembler.string(this.numberText(v, digits));
        }
        codes[c + 2 + k] = code;
      }
      codes[c] = status;
      codes[c + 1] = a;
      counts[STATUSES[status]!]++;
      written++;
    }
    return written;
  }

  /**
   * formatNumber(v, digits), remembered: a prorated score is (sum / answered) × k, so a file repeats
   * a few hundred distinct fractions, each costing a shortest-round-trip conversion (~0.2 µs here).
   */
  private numberText(v: number, digits: number | undefined): string {
    let text = this.texts.get(v);
    if (text === undefined) {
      text = formatNumber(v, digits);
      if (this.texts.size < MAX_TEXTS) this.texts.set(v, text);
    }
    return text;
  }

  private readonly texts = new Map<number, string>();

  /** Scores record j of the batch and writes its row (the general way). */
  private addRow(record: CsvRecord, j: number): void {
    const { plans, scores, scratch, buffer, instruments, digitRows, digitBatch } = this;
    const { json, copyRaw, escape, digits } = this.opts;
    for (let k = 0; k < plans.length; k++) {
      const rows = digitBatch[k] ? digitRows[k]! : undefined;
      const s = rows !== undefined && rows.answered[j]! >= 0 ? scoreDigitRow(plans[k]!, rows, j, scores[k]!) : scoreItems(plans[k]!, readItems(plans[k]!, record, scratch[k]), scores[k]);
      const tally = this.tallies[k]!;
      tally.counts[s.status]++;
      if (s.problems.length > 0) {
        tally.problems += s.problems.length;
        this.problems += s.problems.length;
        this.problemRows.push(...renderProblemRows(record.line, instruments[k]!.id, s.problems));
      }
    }
    if (json) {
      const obj = renderScoreJson(this.header, record.fields, instruments, scores, digits);
      buffer.text(`${this.rows === 0 ? '\n' : ',\n'}${JSON.stringify(obj)}`);
    } else if (copyRaw && record instanceof FastRecord && !this.mustRewrite(record)) {
      buffer.bytes(record.buf, record.start, record.end);
      for (let k = 0; k < scores.length; k++) {
        const s = scores[k]!;
        const scales = s.scales;
        for (let i = 0; i < scales.length; i++) {
          buffer.byte(COMMA);
          const v = scales[i]!;
          if (v !== null) buffer.number(v, digits);
        }
        buffer.byte(COMMA);
        buffer.number(s.answered, undefined);
        buffer.byte(COMMA);
        buffer.ascii(s.status);
        buffer.byte(COMMA);
        if (s.problems.length > 0) buffer.text(csvField(renderProblemsCell(s.problems), escape));
      }
      buffer.byte(LF);
    } else {
      buffer.text(toCsv([[...record.fields, ...scores.flatMap((s) => renderScoreFields(s, digits))]], escape));
    }
    this.rows++;
  }

  takeProblems(): string[][] {
    const rows = this.problemRows;
    this.problemRows = [];
    return rows;
  }
}

/** What a worker thread needs to score the second part of a file (src/parallel). */
export interface ScorePartArgs extends PartInput {
  digits: number | undefined;
  escape: boolean;
  copyRaw: boolean;
  /** Temporary files for its rows and problem rows (no header lines). */
  output: string;
  errors: string | undefined;
}

export interface ScorePartResult {
  rows: number;
  problems: number;
  tallies: InstrumentSummary[];
}

/** The worker's side: scores the batches of its part into `args.output` (and `args.errors`). */
export async function scorePart(args: ScorePartArgs, batches: AsyncIterable<RecordBatch>): Promise<ScorePartResult> {
  const scorer = new RowScorer(args.header, args.instruments, partPlans(args), { json: false, copyRaw: args.copyRaw, escape: args.escape, digits: args.digits });
  const out = await fileSink(args.output);
  const errors = args.errors === undefined ? undefined : await fileSink(args.errors);
  try {
    for await (const batch of batches) {
      scorer.add(batch);
      await out.write(scorer.buffer.take());
      const problems = scorer.takeProblems();
      if (errors && problems.length > 0) await errors.write(toCsv(problems, args.escape));
    }
    await out.commit();
    await errors?.commit();
  } catch (err) {
    await out.abort();
    await errors?.abort();
    throw err;
  }
  return { rows: scorer.rows, problems: scorer.problems, tallies: scorer.tallies };
}

/** Copies a file into a sink, a megabyte at a time. */
async function appendFile(sink: OutputSink, path: string): Promise<void> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) await sink.write(chunk as Buffer);
}

export async function runScoreJob(opts: ScoreJobOptions, io: { stdin: Readable; stdout: Writable }): Promise<ScoreSummary> {
  const json = opts.format === 'json';
  // Rows rewritten by a hook (pseudonymised) and JSON (one array) are scored in one part.
  const split = json || opts.hooks?.transform ? undefined : await planSplit(opts.input, opts.threads, opts.read?.encoding);
  const position = { line: 0 };
  let part: RunningPart<ScorePartResult> | undefined;
  const hooks: InputHooks | undefined = opts.hooks?.onProgress ? { ...opts.hooks, onProgress: (b) => opts.hooks!.onProgress!(b + (part?.bytesRead() ?? 0)) } : opts.hooks;
  const { csv, plans } = await prepareInput(
    { ...opts, hooks, outputs: [{ option: '-o', path: opts.output ?? '-' }, { option: '--errors', path: opts.errors }] },
    io.stdin,
    split && { end: split.at, position },
  );
  const instruments = opts.instruments.map((l) => l.instrument);
  const added = instruments.flatMap(addedColumns);
  assertNoColumnClash(csv.header, added, csv.name);
  const escape = opts.escapeFormulas !== false;
  // Fast path: a UTF-8 comma file is copied row by row as written, with the scores appended.
  const copyRaw = !json && csv.fast === true && csv.dialect.delimiter === ',';

  const sinks: OutputSink[] = [];
  const abortAll = () => Promise.all(sinks.map((s) => s.abort()));
  let work: string | undefined;
  let untrackWork = () => {};
  let confirmed: Promise<PartStart> | undefined;
  try {
    if (split) {
      // The look-ahead for Qualtrics rows must not reach the cut (tiny files with --threads).
      assertSplittable(csv);
      await sweepStale(tmpdir(), 'rapport-part-');
      work = await mkdtemp(join(tmpdir(), `rapport-part-${process.pid}-`));
      untrackWork = track(work);
      const args: ScorePartArgs = {
        ...partInput(csv, plans),
        digits: opts.digits,
        escape,
        copyRaw,
        output: join(work, 'rows.csv'),
        errors: opts.errors === undefined ? undefined : join(work, 'errors.csv'),
      };
      part = startPart<ScorePartResult>('score', split, args as unknown as Record<string, unknown>);
    }
    // Nothing is written before the worker has confirmed the cut (else the job could not start over);
    // until then rows are scored into memory (up to HELD_BYTES), not waited for.
    confirmed = part ? part.start.then((s) => { if (s.insideQuotes) throw new OnePart(); return s; }) : undefined;
    let settled = confirmed === undefined;
    confirmed?.then(() => { settled = true; }, () => { settled = true; });

    const out = isStdout(opts.output) ? streamSink(io.stdout) : await fileSink(opts.output!, '-o');
    sinks.push(out);
    const errors = opts.errors === undefined ? undefined : isStdout(opts.errors) ? streamSink(io.stdout) : await fileSink(opts.errors, '--errors');
    if (errors) sinks.push(errors);

    const scorer = new RowScorer(csv.header, instruments, plans, { json, copyRaw, escape, digits: opts.digits });
    let started = false;
    const flush = async (last: boolean) => {
      if (!started) {
        if (!settled && !last && scorer.buffer.size < HELD_BYTES) return;
        if (confirmed) await confirmed;
        started = true;
        await out.write(json ? '[' : toCsv([[...csv.header, ...added]], escape));
        if (errors) await errors.write(toCsv([[...PROBLEM_COLUMNS]], escape));
      }
      await out.write(scorer.buffer.take());
      const problems = scorer.takeProblems();
      if (errors && problems.length > 0) await errors.write(toCsv(problems, escape));
    };
    for await (const batch of csv.batches) {
      scorer.add(batch);
      await flush(false);
    }
    await flush(true);

    const summary: ScoreSummary = { input: csv.name, rows: scorer.rows, skipped: csv.skipped, dialect: csv.dialect, problems: scorer.problems, instruments: scorer.tallies, parts: part ? 2 : 1 };
    if (part) {
      checkStart(await confirmed!, position, csv.name);
      const rest = await part.result;
      await appendFile(out, join(work!, 'rows.csv'));
      if (errors) await appendFile(errors, join(work!, 'errors.csv'));
      summary.rows += rest.rows;
      summary.problems += rest.problems;
      rest.tallies.forEach((t, k) => {
        const mine = summary.instruments[k]!;
        for (const status of STATUSES) mine.counts[status] += t.counts[status];
        mine.problems += t.problems;
      });
    }
    if (json) await out.write('\n]\n');
    for (const s of sinks) await s.commit();
    return summary;
  } catch (err) {
    await abortAll();
    // An error met before the worker confirmed the cut may come from a cut inside quotes (the first
    // part then ends inside a quoted field): if the worker says so, start over in one part.
    const startOver = err instanceof OnePart || (confirmed !== undefined && (await confirmed.then(() => false, (e: unknown) => e instanceof OnePart)));
    await part?.cancel();
    if (startOver) return runScoreJob({ ...opts, threads: 1 }, io);
    throw err;
  } finally {
    if (work) await rm(work, { recursive: true, force: true });
    untrackWork();
  }
}
