/**
 * One error type for everything rapport reports to a person, mapped to exit codes in one place
 * (exitCodeFor). Codes are stable and asserted by tests; messages may change.
 */

/** What went wrong where: a file with a line and column, or a JSON path inside an instrument. */
export interface Location {
  file?: string;
  line?: number;
  column?: string;
  jsonPath?: string;
}

/**
 * The kinds of failure, each with its exit code (README "Exit codes"). `environment`: the machine
 * refused what rapport had to do (a read-only or full disk, no permission, a folder in use by
 * another run): the user's to fix, not a bug, so exit 3 with a hint.
 */
export type ErrorKind = 'usage' | 'input' | 'environment' | 'internal';

export const EXIT = {
  ok: 0,
  dataProblems: 1,
  usage: 2,
  unusableInput: 3,
  internal: 4,
} as const;

export class RapportError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly location: Location | undefined;
  readonly hint: string | undefined;
  /** Further lines (e.g. every problem of an instrument file), printed under the message. */
  readonly details: readonly string[];

  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    opts: { location?: Location; hint?: string; details?: readonly string[]; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RapportError';
    this.kind = kind;
    this.code = code;
    this.location = opts.location;
    this.hint = opts.hint;
    this.details = opts.details ?? [];
  }

  get exitCode(): number {
    return exitCodeFor(this.kind);
  }
}

export function exitCodeFor(kind: ErrorKind): number {
  switch (kind) {
    case 'usage':
      return EXIT.usage;
    case 'input':
    case 'environment':
      return EXIT.unusableInput;
    case 'internal':
      return EXIT.internal;
  }
}

export const usageError = (code: string, message: string, hint?: string): RapportError =>
  new RapportError('usage', code, message, hint === undefined ? {} : { hint });

export const inputError = (
  code: string,
  message: string,
  opts: { location?: Location; hint?: string; details?: readonly string[]; cause?: unknown } = {},
): RapportError => new RapportError('input', code, message, opts);

/** "file:line: column x" — the place a person should look. */
export function formatLocation(loc: Location | undefined): string {
  if (!loc) return '';
  const parts: string[] = [];
  if (loc.file !== undefined) parts.push(loc.file + (loc.line !== undefined ? `:${loc.line}` : ''));
  else if (loc.line !== undefined) parts.push(`line ${loc.line}`);
  if (loc.column !== undefined) parts.push(`column "${loc.column}"`);
  if (loc.jsonPath !== undefined) parts.push(loc.jsonPath);
  return parts.join(', ');
}
