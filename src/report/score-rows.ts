/**
 * The rows `rapport score` writes: every input column unchanged, then per instrument
 * <prefix>_<scale>…, <prefix>_answered, <prefix>_status, <prefix>_problems. Pure.
 */
import { columnPrefix, type Instrument } from '../instrument/types.js';
import type { InstrumentScore, ItemProblem } from '../scoring/score.js';
import { formatNumber, roundTo } from './format.js';

/** The columns added for one instrument, in output order. */
export function addedColumns(instrument: Instrument): string[] {
  const p = columnPrefix(instrument.id);
  return [...instrument.scales.map((s) => `${p}_${s.id}`), `${p}_answered`, `${p}_status`, `${p}_problems`];
}

/** "wai3=7: 7 is outside the response scale 1–5 [RESPONSE_OUT_OF_RANGE]; …" */
export function renderProblemsCell(problems: readonly ItemProblem[]): string {
  return problems.map((p) => `${p.column}=${p.value.trim()}: ${p.code}`).join('; ');
}

export function renderScoreFields(score: InstrumentScore, digits?: number): string[] {
  return [...score.scales.map((s) => formatNumber(s, digits)), String(score.answered), score.status, renderProblemsCell(score.problems)];
}

/** One row as a JSON object: input cells as strings, scores as numbers or null, problems as objects. */
export function renderScoreJson(
  header: readonly string[],
  fields: readonly string[],
  instruments: readonly Instrument[],
  scores: readonly InstrumentScore[],
  digits?: number,
): Record<string, unknown> {
  const row: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  header.forEach((h, i) => {
    row[h] = fields[i] ?? '';
  });
  instruments.forEach((inst, k) => {
    const score = scores[k]!;
    const p = columnPrefix(inst.id);
    inst.scales.forEach((s, j) => {
      const v = score.scales[j];
      row[`${p}_${s.id}`] = v === null || v === undefined ? null : digits === undefined ? v : roundTo(v, digits);
    });
    row[`${p}_answered`] = score.answered;
    row[`${p}_status`] = score.status;
    row[`${p}_problems`] = score.problems.map((q) => ({ item: q.itemId, column: q.column, value: q.value, code: q.code, message: q.message }));
  });
  return row;
}

/** Header of the --errors file; one row per problem. */
export const PROBLEM_COLUMNS = ['line', 'column', 'value', 'code', 'message', 'instrument', 'item'] as const;

export function renderProblemRows(line: number, instrumentId: string, problems: readonly ItemProblem[]): string[][] {
  return problems.map((p) => [String(line), p.column, p.value, p.code, p.message, instrumentId, p.itemId]);
}
