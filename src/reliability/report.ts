/** The results of a reliability run, as the renderers in src/report take them. */
import type { Instrument } from '../instrument/types.js';
import type { ItemProblem } from '../scoring/batch.js';
import type { ScaleReliability } from './analyse.js';

export interface ScaleReport {
  instrument: Instrument;
  scaleId: string;
  /** The --by value, when grouping. */
  group?: string;
  /** Item ids of the scale, in scale order. */
  itemIds: string[];
  itemColumns: string[];
  result: ScaleReliability;
}

export interface ReliabilityReport {
  input: string;
  rows: number;
  by?: string;
  /** The client column the rows are nested in, when one was read, and how many rows had no client id. */
  client?: string;
  rowsWithoutClient?: number;
  problems: Array<{ line: number; instrument: string; problem: ItemProblem }>;
  problemCount: number;
  scales: ScaleReport[];
}

