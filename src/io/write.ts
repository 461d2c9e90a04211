/**
 * Writing outputs: to standard output, or to a file written under a temporary name and renamed into
 * place only when the run succeeds, so a failed run never leaves a half-written file behind.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { inputError, usageError } from '../errors.js';
import { formatNumber } from '../report/format.js';

export interface OutputSink {
  /** Writes text or bytes, waiting when the destination is full (back-pressure). */
  write(data: string | Uint8Array): Promise<void>;
  /** Finishes: renames a temporary file into place. */
  commit(): Promise<void>;
  /** Gives up: removes the temporary file. Safe to call more than once. */
  abort(): Promise<void>;
}

/** True for the error a closed pipe gives (`rapport score … | head`): not a failure. */
export const isBrokenPipe = (err: unknown): boolean => (err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';

/**
 * Writes to a stream, waiting for 'drain' when its buffer is full. A stream error (a closed pipe, a
 * full disk) is remembered by a listener that stays attached, and rethrown by the next write.
 */
function backpressureWriter(stream: Writable): (data: string | Uint8Array) => Promise<void> {
  let failed: Error | undefined;
  stream.on('error', (err) => {
    failed = err;
    stream.emit('rapport-failed');
  });
  return async (data) => {
    if (failed) throw failed;
    if (stream.write(data)) return;
    await new Promise<void>((ok, fail) => {
      const onDrain = () => {
        stream.off('rapport-failed', onFail);
        ok();
      };
      const onFail = () => {
        stream.off('drain', onDrain);
        fail(failed);
      };
      stream.once('drain', onDrain);
      stream.once('rapport-failed', onFail);
    });
  };
}

/** A sink on an already open stream (stdout): nothing to rename, nothing to remove. */
export function streamSink(stream: Writable): OutputSink {
  return {
    write: backpressureWriter(stream),
    commit: async () => {},
    abort: async () => {},
  };
}

const viewOf = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/**
 * Output assembled as bytes: text and byte ranges (rows copied from the input) are appended to 1 MB
 * buffers, handed over whole by take(). Cheaper than building and joining a string per row.
 */
export class ByteBuilder {
  static readonly SIZE = 1 << 20;
  private buf = Buffer.allocUnsafe(ByteBuilder.SIZE);
  private pos = 0;
  /** Views for copying four bytes at a time: of `buf`, and of the last source copied from. */
  private view = viewOf(this.buf);
  private source: Uint8Array | undefined;
  private sourceView = this.view;
  private full: Buffer[] = [];
  private fullBytes = 0;

  /** Bytes written and not yet taken. */
  get size(): number {
    return this.fullBytes + this.pos;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos > 0) {
      this.full.push(this.buf.subarray(0, this.pos));
      this.fullBytes += this.pos;
    }
    this.buf = Buffer.allocUnsafe(Math.max(ByteBuilder.SIZE, n));
    this.view = viewOf(this.buf);
    this.pos = 0;
  }

  text(s: string): void {
    this.reserve(s.length * 3);
    this.pos += this.buf.write(s, this.pos);
  }

  /** Text that is most likely ASCII (numbers, statuses): copied code by code, which beats Buffer.write for short strings. */
  ascii(s: string): void {
    const n = s.length;
    this.reserve(n * 3);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) {
        this.pos = p + buf.write(s.slice(i), p);
        return;
      }
      buf[p++] = c;
    }
    this.pos = p;
  }

  /** One byte (a delimiter, a line feed). */
  byte(c: number): void {
    if (this.pos === this.buf.length) this.reserve(1);
    this.buf[this.pos++] = c;
  }

  /**
   * A number as formatNumber writes it (shortest round-trip form, or rounded to `digits`). A whole
   * number below 2^31 in size, the usual scale score, is written digit by digit without a string.
   */
  number(x: number, digits: number | undefined): void {
    if (digits === undefined && (x | 0) === x) {
      this.reserve(11);
      const buf = this.buf;
      let v = x;
      if (v < 0) {
        buf[this.pos++] = 0x2d;
        v = -v;
      }
      let end = this.pos + (v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 1e5 ? 5 : v < 1e6 ? 6 : v < 1e7 ? 7 : v < 1e8 ? 8 : v < 1e9 ? 9 : 10);
      this.pos = end;
      do {
        const q = Math.floor(v / 10);
        buf[--end] = 0x30 + v - q * 10;
        v = q;
      } while (v > 0);
      return;
    }
    this.ascii(formatNumber(x, digits));
  }

  /** A long run of bytes (many rows at once), copied in one go. */
  copy(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.reserve(n);
    this.buf.set(src.subarray(start, end), this.pos);
    this.pos += n;
  }

  bytes(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.reserve(n);
    if (n < 512) {
      // A row's worth: four bytes at a time through DataViews beats a native copy call (about 2×).
      if (src !== this.source) {
        this.source = src;
        this.sourceView = viewOf(src);
      }
      const from = this.sourceView;
      const to = this.view;
      const buf = this.buf;
      let p = this.pos;
      let i = start;
      for (; i + 4 <= end; i += 4, p += 4) to.setUint32(p, from.getUint32(i));
      for (; i < end; i++) buf[p++] = src[i]!;
    } else this.buf.set(src.subarray(start, end), this.pos);
    this.pos += n;
  }

  /** The bytes so far, as one buffer; the builder starts afresh (the buffers handed out are not reused). */
  take(): Buffer {
    if (this.pos > 0) this.full.push(this.buf.subarray(0, this.pos));
    const out = this.full.length === 1 ? this.full[0]! : Buffer.concat(this.full);
    this.full = [];
    this.fullBytes = 0;
    this.buf = this.buf.subarray(this.pos);
    this.pos = 0;
    if (this.buf.length < 1 << 16) this.buf = Buffer.allocUnsafe(ByteBuilder.SIZE);
    this.view = viewOf(this.buf);
    return out;
  }
}

let tmpCounter = 0;
/** Bytes a file sink accepts before its writer waits for the disk. */
const WRITE_AHEAD = 8 << 20;

/** A sink on `path`, written as `<dir>/.<name>.tmp-<pid>-<n>` and renamed on commit. */
export async function fileSink(path: string): Promise<OutputSink> {
  const target = resolve(path);
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${tmpCounter++}`);
  let stream: WriteStream;
  try {
    // Several megabytes may wait to be written (the default is 16 KB): the caller hands over 1 MB
    // at a time and goes on working while the file system writes, instead of waiting for each.
    stream = createWriteStream(tmp, { flags: 'wx', highWaterMark: WRITE_AHEAD });
    await new Promise<void>((ok, fail) => {
      stream.once('open', () => ok());
      stream.once('error', fail);
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw inputError('OUTPUT_NOT_WRITABLE', `cannot write ${path}: ${e.code === 'ENOENT' ? 'the folder does not exist' : e.message}`, {
      location: { file: path },
      hint: 'create the folder first, or choose another path with -o',
    });
  }
  let done = false;
  const write = backpressureWriter(stream);
  const close = () => new Promise<void>((ok, fail) => stream.end((err?: Error | null) => (err ? fail(err) : ok())));
  return {
    write,
    async commit() {
      if (done) return;
      done = true;
      await close();
      await rename(tmp, target);
    },
    async abort() {
      if (done) return;
      done = true;
      stream.destroy();
      await rm(tmp, { force: true });
    },
  };
}

async function canonical(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

/** Refuses an output path that is the input file (or another output): rapport never writes over its input. */
export async function assertDistinctPaths(input: string, outputs: Array<{ option: string; path: string | undefined }>): Promise<void> {
  const seen = new Map<string, string>();
  if (input !== '-') seen.set(await canonical(input), 'the input file');
  for (const { option, path } of outputs) {
    if (path === undefined || path === '-') continue;
    const key = await canonical(path);
    const clash = seen.get(key);
    if (clash) throw usageError('OUTPUT_IS_INPUT', `${option} ${path} would write over ${clash}`, 'choose another output path');
    seen.set(key, option);
  }
}

/**
 * Writes several outputs as one unit: each to its path (standard output for undefined or '-'),
 * all renamed into place only when every one was written, all removed otherwise.
 */
export async function writeAll(outputs: ReadonlyArray<readonly [string | undefined, string]>, stdout: Writable): Promise<void> {
  const sinks: OutputSink[] = [];
  try {
    for (const [path, text] of outputs) {
      const sink = path === undefined || path === '-' ? streamSink(stdout) : await fileSink(path);
      sinks.push(sink);
      await sink.write(text);
    }
    for (const s of sinks) await s.commit();
  } catch (err) {
    await Promise.all(sinks.map((s) => s.abort()));
    throw err;
  }
}
