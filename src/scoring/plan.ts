/**
 * An instrument bound to the columns of one file: everything the scorer needs, computed once per
 * run. Pure.
 */
import type { Instrument, ScaleMethod } from '../instrument/types.js';
import { buildResponseParser, type ResponseParser } from './response.js';

export interface PlannedScale {
  method: ScaleMethod;
  maxMissing: number;
  /** Positions of the scale's items among the instrument's items. */
  items: number[];
}

export interface ScoringPlan {
  instrument: Instrument;
  parser: ResponseParser;
  /** Column index of each item, in item order. */
  columns: number[];
  /** Header name of each item's column, for problem reports. */
  columnNames: string[];
  reverse: boolean[];
  scales: PlannedScale[];
  /**
   * The columns and reverse flags as typed arrays, when every valid answer is one digit (whole
   * numbers within 0…9): such rows are read a batch at a time by the line kernel.
   */
  digits?: { columns: Int32Array; reverse: Uint8Array };
}

export function buildScoringPlan(instrument: Instrument, columns: number[], header: readonly string[], opts: { decimalComma?: boolean } = {}): ScoringPlan {
  const position = new Map(instrument.items.map((item, i) => [item.id, i]));
  const { min, max, continuous } = instrument.responseScale;
  const oneDigit = continuous !== true && Number.isInteger(min) && Number.isInteger(max) && min >= 0 && max <= 9;
  return {
    instrument,
    parser: buildResponseParser(instrument.responseScale, opts),
    columns,
    columnNames: columns.map((c) => header[c] ?? ''),
    reverse: instrument.items.map((item) => item.reverse === true),
    scales: instrument.scales.map((s) => ({ method: s.method, maxMissing: s.maxMissing ?? 0, items: s.items.map((id) => position.get(id)!) })),
    ...(oneDigit ? { digits: { columns: Int32Array.from(columns), reverse: Uint8Array.from(instrument.items, (item) => (item.reverse === true ? 1 : 0)) } } : {}),
  };
}
