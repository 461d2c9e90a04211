/**
 * Reading one file in two parts at once, one per core (Node's worker_threads). The main thread
 * reads the file up to a line break near the middle as usual; a worker reads the rest and hands
 * back what it made (a summary, sums, or rows written to a temporary file), which the main thread
 * puts after its own. The worker first scans the main thread's part for line breaks and quotes,
 * so it knows the line its part starts on, and whether the cut fell inside a quoted field (then
 * the job is run again in one part). Only UTF-8 files given by path are split (not standard input,
 * other encodings or workbooks).
 */
import { availableParallelism } from 'node:os';
import { open, stat } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { RapportError, type ErrorKind, type Location } from '../errors.js';
import type { Instrument } from '../instrument/types.js';
import type { RecordBatch } from '../io/csv-read.js';
import type { TableSource } from '../io/table.js';
import { buildScoringPlan, type ScoringPlan } from '../scoring/score.js';

/**
 * Files smaller than this are read in one part when the number of threads is not given. Measured on
 * the bench files (2 cores): two parts are slower at 8 MB (100,000 rows) and break even at ~26 MB.
 */
export const SPLIT_MIN_BYTES = 32 << 20;

/**
 * The main thread's share of the file. The worker starts ~0.3 s later (a thread, its modules, and a
 * scan of the first part), so even halves left the main thread waiting; on the 1M-row bench file
 * 55 % gave the best times for score and trajectories (0.6 for reliability).
 */
export const FIRST_PART_SHARE = 0.55;

/** Threads for a file: `--threads` if given, else 2 on a machine with 2 or more cores for files of 32 MB or more. */
export function threadsFor(requested: number | undefined, size: number): number {
  if (requested !== undefined) return requested;
  return size >= SPLIT_MIN_BYTES ? Math.min(2, availableParallelism()) : 1;
}

export interface Split {
  path: string;
  size: number;
  /** First byte of the second part (just after a line feed). */
  at: number;
}

/**
 * Where to cut `path` in two, or undefined when it should be read in one part: standard input,
 * a workbook, another encoding than UTF-8 (given or by BOM), one thread, or no line break after
 * the middle.
 */
export async function planSplit(path: string, threads: number | undefined, encoding: string | undefined): Promise<Split | undefined> {
  if (path === '-' || path.toLowerCase().endsWith('.xlsx')) return undefined;
  if (encoding !== undefined && !/^utf-?8$/i.test(encoding.trim())) return undefined;
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) return undefined;
    size = info.size;
  } catch {
    return undefined; // the reader reports it
  }
  if (threadsFor(threads, size) < 2 || size < 64) return undefined;
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    await fh.read(head, 0, 4, 0);
    if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return undefined;
    const window = Buffer.alloc(Math.min(1 << 20, size));
    const from = Math.floor(size * FIRST_PART_SHARE);
    const { bytesRead } = await fh.read(window, 0, window.length, from);
    const lf = window.subarray(0, bytesRead).indexOf(0x0a);
    if (lf < 0 || from + lf + 1 >= size) return undefined;
    return { path, size, at: from + lf + 1 };
  } finally {
    await fh.close();
  }
}

/** What the worker learns of the first part: the line the second starts on, and whether the cut is inside quotes. */
export interface PartStart {
  line: number;
  insideQuotes: boolean;
}

/** Scans bytes [0, end) of a file: its line breaks (LF, CRLF or a lone CR, as the reader counts them) and quotes. */
export async function scanFirstPart(path: string, end: number): Promise<PartStart> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    let line = 1;
    let quotes = 0;
    let pendingCr = false;
    for (let pos = 0; pos < end; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const b = buf.subarray(0, bytesRead);
      // Line feeds and quotes by indexOf (native); carriage returns are rare.
      for (let i = b.indexOf(0x0a); i >= 0; i = b.indexOf(0x0a, i + 1)) line++;
      for (let i = b.indexOf(0x22); i >= 0; i = b.indexOf(0x22, i + 1)) quotes++;
      if (pendingCr && b[0] !== 0x0a) line++;
      pendingCr = false;
      for (let i = b.indexOf(0x0d); i >= 0; i = b.indexOf(0x0d, i + 1)) {
        if (i + 1 === b.length) pendingCr = true;
        else if (b[i + 1] !== 0x0a) line++;
      }
    }
    if (pendingCr) line++;
    // In a file that parses, quotes come in pairs outside quoted fields ("…" and "" escapes).
    return { line, insideQuotes: quotes % 2 === 1 };
  } finally {
    await fh.close();
  }
}

/** What every worker needs to read its part and score its rows as the main thread does: all cloneable. */
export interface PartInput {
  name: string;
  width: number;
  delimiter: string;
  decimalComma: boolean;
  header: string[];
  instruments: Instrument[];
  /** Each instrument's item columns, as resolved on the main thread. */
  columns: number[][];
  maxRecordBytes?: number;
}

export function partInput(csv: TableSource, plans: readonly ScoringPlan[]): PartInput {
  return {
    name: csv.name,
    width: csv.header.length,
    delimiter: csv.dialect.delimiter,
    decimalComma: csv.dialect.decimalComma,
    header: [...csv.header],
    instruments: plans.map((p) => p.instrument),
    columns: plans.map((p) => p.columns),
    ...(csv.maxRecordBytes === undefined ? {} : { maxRecordBytes: csv.maxRecordBytes }),
  };
}

/** The scoring plans of a PartInput, as the main thread built them. */
export function partPlans(input: PartInput): ScoringPlan[] {
  return input.instruments.map((inst, k) => buildScoringPlan(inst, input.columns[k]!, input.header, { decimalComma: input.decimalComma }));
}

/** Thrown by a job when the file cannot be read in two parts after all: the job runs again in one part. */
export class OnePart extends Error {}

/**
 * Throws OnePart unless the first part, as opened, can be followed by a worker's part: read by the
 * byte-level reader, with the look-ahead for Qualtrics rows (2 records) inside the first part.
 */
export function assertSplittable(csv: TableSource): void {
  if (csv.fast !== true || (csv.ahead ?? 0) < 2) throw new OnePart();
}

/**
 * Checks the worker's start against where the first part's reader stopped: OnePart when the cut is
 * inside quotes, an internal error if the lines disagree (a bug).
 */
export function checkStart(start: PartStart, firstPartEnd: { line: number }, name: string): void {
  if (start.insideQuotes) throw new OnePart();
  if (start.line !== firstPartEnd.line) {
    throw new Error(`reading ${name} in two parts went wrong: the first part ends on line ${firstPartEnd.line}, the second starts on line ${start.line} (run again with --threads 1, and please report this)`);
  }
}

/** What collects a job's rows: the first part's batches, then the result of the worker's part. */
export interface PartCollector<R> {
  add(batch: RecordBatch): void;
  merge(result: R): void;
}

/**
 * Runs a collecting job's pass: with a split, starts a worker on the second part (`task`, with
 * `args()`), feeds the first part's batches to `collector`, checks where the worker started, and
 * merges its result. `running.part` is the worker, for progress reports. Returns false when the
 * file must be read in one part after all (the caller runs the job again with one thread).
 */
export async function collectInParts<R>(o: {
  csv: TableSource;
  split: Split | undefined;
  /** Where the first part's reader stopped (filled in by the reader). */
  position: { line: number };
  task: PartTask;
  args: () => PartInput;
  collector: PartCollector<R>;
  running: { part?: RunningPart<R | null> };
}): Promise<boolean> {
  const { csv, split, collector, running } = o;
  try {
    if (split) {
      assertSplittable(csv);
      running.part = startPart<R | null>(o.task, split, o.args() as unknown as Record<string, unknown>);
    }
    for await (const batch of csv.batches) collector.add(batch);
    if (running.part) {
      checkStart(await running.part.start, o.position, csv.name);
      collector.merge((await running.part.result)!);
    }
    return true;
  } catch (err) {
    await running.part?.cancel();
    if (err instanceof OnePart) return false;
    throw err;
  }
}

/** A RapportError (or any error) as a message a worker can post, and back. */
export interface PostedError {
  kind?: ErrorKind;
  code?: string;
  message: string;
  location?: Location;
  hint?: string;
  details?: readonly string[];
  stack?: string;
}

export function postError(err: unknown): PostedError {
  if (err instanceof RapportError) {
    return { kind: err.kind, code: err.code, message: err.message, ...(err.location ? { location: err.location } : {}), ...(err.hint === undefined ? {} : { hint: err.hint }), details: err.details };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return { message: e.message, ...(e.stack === undefined ? {} : { stack: e.stack }) };
}

function revive(p: PostedError): Error {
  if (p.kind !== undefined && p.code !== undefined) {
    return new RapportError(p.kind, p.code, p.message, { ...(p.location ? { location: p.location } : {}), ...(p.hint === undefined ? {} : { hint: p.hint }), ...(p.details ? { details: p.details } : {}) });
  }
  const e = new Error(`in a worker thread: ${p.message}`);
  if (p.stack !== undefined) e.stack = p.stack;
  return e;
}

/** The work a worker can do on the second part (src/parallel/worker.ts). */
export type PartTask = 'score' | 'moments' | 'trajectories';

export interface RunningPart<T> {
  /** The second part's start, once the worker has scanned the first part. */
  start: Promise<PartStart>;
  /** The worker's result. */
  result: Promise<T>;
  /** Bytes of the second part read so far. */
  bytesRead(): number;
  /** Stops the worker (when the first part failed or the job is run again in one part). */
  cancel(): Promise<void>;
}

/** The worker's module: next to this one when built; from dist/ when this file runs as TypeScript (tests). */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/parallel/worker.js', here) : new URL('./worker.js', here);
}

/** Starts a worker on bytes [split.at, split.size) of the file. `args` must be cloneable. */
export function startPart<T>(task: PartTask, split: Split, args: Record<string, unknown>): RunningPart<T> {
  const worker = new Worker(workerUrl(), { workerData: { task, path: split.path, start: split.at, end: split.size, args } });
  let bytes = 0;
  let settled = false;
  let onStart!: (s: PartStart) => void;
  let onResult!: (r: T) => void;
  let onFail!: (e: Error) => void;
  const start = new Promise<PartStart>((ok) => (onStart = ok));
  const result = new Promise<T>((ok, fail) => {
    onResult = ok;
    onFail = fail;
  });
  // A rejection nobody awaits (the job failed first and cancelled) must not end the process.
  result.catch(() => undefined);
  const fail = (e: Error) => {
    if (settled) return;
    settled = true;
    onStart({ line: 0, insideQuotes: true });
    onFail(e);
  };
  worker.on('message', (m: { type: string; start?: PartStart; bytes?: number; result?: T; error?: PostedError }) => {
    if (m.type === 'start') onStart(m.start!);
    else if (m.type === 'progress') bytes = m.bytes!;
    else if (m.type === 'done') {
      settled = true;
      onResult(m.result as T);
    } else if (m.type === 'error') fail(revive(m.error!));
  });
  worker.on('error', (e) => fail(e));
  worker.on('exit', (code) => fail(new Error(`a worker thread stopped (exit code ${code}) before it finished`)));
  return {
    start,
    result,
    bytesRead: () => bytes,
    async cancel() {
      settled = true;
      await worker.terminate();
    },
  };
}
