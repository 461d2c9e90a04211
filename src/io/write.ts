/**
 * Writing outputs: to standard output, or to a file written under a temporary name and renamed into
 * place only when the run succeeds, so a failed run never leaves a half-written file behind.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { realpath, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { inputError, usageError } from '../errors.js';

export interface OutputSink {
  /** Writes text, waiting when the destination is full (back-pressure). */
  write(text: string): Promise<void>;
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
function backpressureWriter(stream: Writable): (text: string) => Promise<void> {
  let failed: Error | undefined;
  stream.on('error', (err) => {
    failed = err;
    stream.emit('rapport-failed');
  });
  return async (text) => {
    if (failed) throw failed;
    if (stream.write(text)) return;
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

let tmpCounter = 0;

/** A sink on `path`, written as `<dir>/.<name>.tmp-<pid>-<n>` and renamed on commit. */
export async function fileSink(path: string): Promise<OutputSink> {
  const target = resolve(path);
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${tmpCounter++}`);
  let stream: WriteStream;
  try {
    stream = createWriteStream(tmp, { flags: 'wx' });
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
