/**
 * What a command needs from the outside world, injected so tests can drive the program in-process:
 * streams, environment, and a colour policy (only on a TTY, never with NO_COLOR).
 */
import type { Readable, Writable } from 'node:stream';
import { Chalk, type ChalkInstance } from 'chalk';
import { formatLocation, RapportError, usageError } from '../errors.js';
import { printableStyled } from '../report/format.js';

export interface CliIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** Whether stderr is a terminal (colour, progress). */
  stderrIsTTY: boolean;
  /** Whether stdin is a terminal (then a command without a file has no input to read). */
  stdinIsTTY?: boolean;
}

export interface CliContext extends CliIO {
  color: ChalkInstance;
  /** A line on stderr. */
  say(line: string): void;
  warn(line: string): void;
  /** --quiet: say and warn print nothing (errors still do). */
  quiet: boolean;
}

export function createContext(io: CliIO): CliContext {
  const noColor = io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '';
  const color = new Chalk({ level: io.stderrIsTTY && !noColor && io.env.TERM !== 'dumb' ? 1 : 0 });
  const ctx: CliContext = {
    ...io,
    color,
    quiet: false,
    say: (line) => {
      if (!ctx.quiet) io.stderr.write(`${printableStyled(line)}\n`);
    },
    warn: (line) => {
      if (!ctx.quiet) io.stderr.write(`${color.yellow('warning:')} ${printableStyled(line)}\n`);
    },
  };
  return ctx;
}

/**
 * The input of a command: the file given, or standard input when none is given and data are piped
 * in (as xsv and csvkit do); NO_INPUT when there is neither.
 */
export function inputPath(ctx: CliContext, file: string | undefined): string {
  if (file !== undefined) return file;
  if (ctx.stdinIsTTY === true) {
    throw usageError('NO_INPUT', 'no input: give a file, or pipe the data into rapport', 'e.g. rapport score data.csv -i wai-sr, or: cat data.csv | rapport score -i wai-sr');
  }
  return '-';
}

/** The error as a person reads it: what, where, details, and what to do. */
export function renderError(err: RapportError, color: ChalkInstance): string {
  const lines = [`${color.red('error:')} ${printableStyled(err.message)} ${color.dim(`[${err.code}]`)}`];
  const where = formatLocation(err.location);
  if (where) lines.push(`  at ${printableStyled(where)}`);
  for (const d of err.details) lines.push(`  - ${printableStyled(d)}`);
  if (err.hint) lines.push(`  ${color.cyan('hint:')} ${printableStyled(err.hint)}`);
  return `${lines.join('\n')}\n`;
}

/** Each command's action returns its exit code through this holder. */
export interface RunState {
  exitCode: number;
}
