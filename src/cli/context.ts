/**
 * What a command needs from the outside world, injected so tests can drive the program in-process:
 * streams, environment, and a colour policy (only on a TTY, never with NO_COLOR).
 */
import type { Readable, Writable } from 'node:stream';
import { Chalk, type ChalkInstance } from 'chalk';
import { formatLocation, RapportError } from '../errors.js';
import { printableStyled } from '../report/format.js';

export interface CliIO {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** Whether stderr is a terminal (colour, progress). */
  stderrIsTTY: boolean;
}

export interface CliContext extends CliIO {
  color: ChalkInstance;
  /** A line on stderr. */
  say(line: string): void;
  warn(line: string): void;
}

export function createContext(io: CliIO): CliContext {
  const noColor = io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '';
  const color = new Chalk({ level: io.stderrIsTTY && !noColor && io.env.TERM !== 'dumb' ? 1 : 0 });
  return {
    ...io,
    color,
    say: (line) => void io.stderr.write(`${printableStyled(line)}\n`),
    warn: (line) => void io.stderr.write(`${color.yellow('warning:')} ${printableStyled(line)}\n`),
  };
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
