/**
 * Writing one output: to standard output, or to a file. A regular file is written under a
 * temporary name beside it and renamed into place only when the run succeeds, so a failed or
 * interrupted run never leaves a half-written file and the previous one stays intact; the new file
 * keeps the old one's permissions (a 0600 file stays private). Anything else (/dev/null,
 * /dev/stdout, a named pipe) is written directly: renaming over it would replace a device or pipe
 * with a regular file. A symbolic link is followed, so the file it points to is replaced, not the
 * link.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod, lstat, open, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { usageError } from '../errors.js';
import { sweepStale, track } from './cleanup.js';
import { errnoOf, writeFailure } from './environment.js';

export interface OutputSink {
  /** Writes text or bytes, waiting when the destination is full (back-pressure). */
  write(data: string | Uint8Array): Promise<void>;
  /** Finishes: renames a temporary file into place. */
  commit(): Promise<void>;
  /** Gives up: removes the temporary file. Safe to call more than once. */
  abort(): Promise<void>;
}

/** True for the error a closed pipe gives (`rapport score … | head`): not a failure. */
export const isBrokenPipe = (err: unknown): boolean => errnoOf(err) === 'EPIPE';

/** Whether an output option means standard output. */
export const isStdout = (path: string | undefined): boolean => path === undefined || path === '-';

/**
 * Writes to a stream, waiting for 'drain' when its buffer is full. A stream error (a closed pipe, a
 * full disk) is remembered by a listener that stays attached, and rethrown by the next write.
 */
function backpressureWriter(stream: Writable, fail: (err: unknown) => unknown = (e) => e): (data: string | Uint8Array) => Promise<void> {
  let failed: unknown;
  stream.on('error', (err) => {
    failed = fail(err);
    stream.emit('rapport-failed');
  });
  return async (data) => {
    if (failed !== undefined) throw failed;
    if (stream.write(data)) return;
    await new Promise<void>((ok, no) => {
      const onDrain = () => {
        stream.off('rapport-failed', onFail);
        ok();
      };
      const onFail = () => {
        stream.off('drain', onDrain);
        no(failed);
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
/** Bytes a file sink accepts before its writer waits for the disk. */
const WRITE_AHEAD = 8 << 20;

/** The prefix of the temporary names of outputs beside `target`: `.<name>.tmp-` (then `<pid>-<n>`). */
export const tempPrefix = (target: string): string => `.${basename(target)}.tmp-`;

async function openStream(path: string, flags: string, mode?: number): Promise<WriteStream> {
  const stream = createWriteStream(path, { flags, highWaterMark: WRITE_AHEAD, ...(mode === undefined ? {} : { mode }) });
  await new Promise<void>((ok, fail) => {
    stream.once('open', () => ok());
    stream.once('error', fail);
  });
  return stream;
}

/** Where writing `path` lands: the file a symbolic link points to, and what is there now. */
async function destination(path: string): Promise<{ target: string; existing: import('node:fs').Stats | undefined }> {
  let target = resolve(path);
  let info;
  try {
    info = await lstat(target);
  } catch {
    return { target, existing: undefined };
  }
  if (info.isSymbolicLink()) {
    try {
      target = await realpath(target);
      info = await stat(target);
    } catch {
      // A dangling link: writing through it creates the file it names.
      return { target, existing: info };
    }
  }
  return { target, existing: info };
}

/** /dev/stdout, /dev/stderr, /dev/fd/N, /proc/self/fd/N: one of the process's own descriptors. */
const OWN_FD = /^\/(?:dev\/(?:std(out|err)|fd\/(\d+))|proc\/self\/fd\/(\d+))$/;

/**
 * A sink on one of the process's descriptors. Opening /dev/stderr fails (ENXIO) when it is a socket,
 * as when a scheduler or logger collects the output, so the descriptor itself is written.
 */
function descriptorSink(fd: number, path: string): OutputSink {
  const stream = createWriteStream('', { fd, autoClose: false });
  return {
    write: backpressureWriter(stream, (e) => writeFailure(e, path)),
    commit: () => new Promise<void>((ok, fail) => stream.end((err?: Error | null) => (err ? fail(writeFailure(err, path)) : ok()))),
    abort: async () => void stream.end(),
  };
}

/** A sink on `path` (see the module comment); `option` names it in messages (e.g. -o). */
export async function fileSink(path: string, option = '-o'): Promise<OutputSink> {
  const own = OWN_FD.exec(path);
  if (own) return descriptorSink(own[1] === 'out' ? 1 : own[1] === 'err' ? 2 : Number(own[2] ?? own[3]), path);
  const { target, existing } = await destination(path);
  if (existing?.isDirectory()) throw usageError('OUTPUT_IS_FOLDER', `${option} ${path} is a folder; give a file name`, 'choose a file path for this output');
  if (existing && !existing.isFile()) {
    // A device, a named pipe, or a dangling link (writing through it creates the file it names):
    // written as it is.
    let stream: WriteStream;
    try {
      stream = await openStream(target, 'w');
    } catch (err) {
      throw writeFailure(err, path, 'open');
    }
    return {
      write: backpressureWriter(stream, (e) => writeFailure(e, path)),
      commit: () => new Promise<void>((ok, fail) => stream.end((err?: Error | null) => (err ? fail(writeFailure(err, path)) : ok()))),
      abort: async () => void stream.destroy(),
    };
  }
  const dir = dirname(target);
  await sweepStale(dir, tempPrefix(target));
  const tmp = join(dir, `${tempPrefix(target)}${process.pid}-${tmpCounter++}`);
  const untrack = track(tmp);
  let stream: WriteStream;
  try {
    // Several megabytes may wait to be written (the default is 16 KB): the caller hands over 1 MB
    // at a time and goes on working while the file system writes, instead of waiting for each.
    stream = await openStream(tmp, 'wx', existing?.isFile() ? existing.mode & 0o7777 : undefined);
  } catch (err) {
    untrack();
    throw writeFailure(err, path);
  }
  let done = false;
  const write = backpressureWriter(stream, (e) => writeFailure(e, path));
  const close = () => new Promise<void>((ok, fail) => stream.end((err?: Error | null) => (err ? fail(writeFailure(err, path)) : ok())));
  const remove = async () => {
    await rm(tmp, { force: true });
    untrack();
  };
  return {
    write,
    async commit() {
      if (done) return;
      done = true;
      try {
        await close();
        // The umask may have narrowed the mode given at creation: the old file's mode, exactly.
        if (existing?.isFile()) await chmod(tmp, existing.mode & 0o7777);
        // On the disk before it takes the old file's place: after a power cut, the name holds the
        // old file or the whole new one, never an empty one.
        await syncFile(tmp);
        await rename(tmp, target);
        untrack();
      } catch (err) {
        await remove();
        throw writeFailure(err, path);
      }
    },
    async abort() {
      if (done) return;
      done = true;
      stream.destroy();
      await remove();
    },
  };
}

/** fsync: the file's data on the disk (file systems that cannot sync, such as some network ones, are let be). */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    await handle.sync().catch((err: unknown) => {
      if (errnoOf(err) !== 'EINVAL' && errnoOf(err) !== 'ENOTSUP') throw err;
    });
  } finally {
    await handle.close();
  }
}

async function canonical(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return resolve(path);
  }
}

/**
 * Refuses an output path that is the input file or another output, and two outputs on standard
 * output (their texts would be mixed): rapport never writes over its input.
 */
export async function assertDistinctPaths(input: string, outputs: ReadonlyArray<{ option: string; path: string | undefined }>): Promise<void> {
  const seen = new Map<string, string>();
  if (input !== '-') seen.set(await canonical(input), 'the input file');
  const toStdout = outputs.filter((o) => o.path === '-');
  if (toStdout.length > 1) throw usageError('TWO_OUTPUTS_TO_STDOUT', `${toStdout.map((o) => o.option).join(' and ')} both write to standard output (-)`, 'send at most one of them to standard output, the others to files');
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
export async function writeAll(outputs: ReadonlyArray<readonly [string | undefined, string | Uint8Array, string?]>, stdout: Writable): Promise<void> {
  const sinks: OutputSink[] = [];
  try {
    for (const [path, text, option] of outputs) {
      const sink = isStdout(path) ? streamSink(stdout) : await fileSink(path!, option);
      sinks.push(sink);
      await sink.write(text);
    }
    for (const s of sinks) await s.commit();
  } catch (err) {
    await Promise.all(sinks.map((s) => s.abort()));
    throw err;
  }
}
