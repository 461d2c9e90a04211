/**
 * Reading instrument definition files: size limit, JSON parsing with line/column of syntax errors,
 * then validation. A file that fails is unusable input (exit 3) with every problem listed.
 */
import { readFile, stat } from 'node:fs/promises';
import { inputError } from '../errors.js';
import type { DefinitionProblem, Instrument } from './types.js';
import { MAX_PROBLEMS, validateInstrument } from './validate.js';

/** No real definition comes near this; a larger file is refused before it is parsed. */
export const MAX_DEFINITION_BYTES = 2 * 1024 * 1024;

/** Line and column (1-based) of a character offset. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

export type ParseResult = { ok: true; instrument: Instrument } | { ok: false; problems: DefinitionProblem[] };

/** Parses and validates a definition's text. Pure. */
export function parseInstrument(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    const where = at ? lineAndColumn(text, Number(at[1])) : undefined;
    return {
      ok: false,
      problems: [{ code: 'INSTRUMENT_JSON_SYNTAX', path: where ? `line ${where.line}, column ${where.column}` : '$', message: `not valid JSON: ${message}` }],
    };
  }
  const problems = validateInstrument(value);
  return problems.length === 0 ? { ok: true, instrument: value as Instrument } : { ok: false, problems };
}

/** Formats problems one per line, "$.path: message [CODE]", capped at MAX_PROBLEMS. */
export function formatProblems(problems: readonly DefinitionProblem[]): string[] {
  const lines = problems.slice(0, MAX_PROBLEMS).map((p) => `${p.path}: ${p.message} [${p.code}]`);
  if (problems.length > MAX_PROBLEMS) lines.push(`… and ${problems.length - MAX_PROBLEMS} more problems`);
  return lines;
}

/** Reads one definition file; throws INSTRUMENT_INVALID (exit 3) listing every problem. */
export async function readInstrumentFile(path: string): Promise<Instrument> {
  const result = await checkInstrumentFile(path);
  if (!result.ok) {
    throw inputError('INSTRUMENT_INVALID', `${path} is not a valid instrument definition (${result.problems.length} problem${result.problems.length === 1 ? '' : 's'})`, {
      location: { file: path },
      details: formatProblems(result.problems),
      hint: 'check it with `rapport instruments validate` and see README "Instrument format"',
    });
  }
  return result.instrument;
}

/** Like readInstrumentFile, but returns problems instead of throwing (for `instruments validate`). */
export async function checkInstrumentFile(path: string): Promise<ParseResult> {
  let size: number;
  try {
    const info = await stat(path);
    if (info.isDirectory()) return { ok: false, problems: [{ code: 'INSTRUMENT_NOT_A_FILE', path: '$', message: `${path} is a directory` }] };
    size = info.size;
  } catch {
    return { ok: false, problems: [{ code: 'INSTRUMENT_FILE_NOT_FOUND', path: '$', message: `cannot read ${path}: no such file` }] };
  }
  if (size > MAX_DEFINITION_BYTES) {
    return { ok: false, problems: [{ code: 'INSTRUMENT_TOO_LARGE', path: '$', message: `the file is ${size} bytes; definitions are limited to ${MAX_DEFINITION_BYTES} bytes` }] };
  }
  return parseInstrument(await readFile(path, 'utf8'));
}
