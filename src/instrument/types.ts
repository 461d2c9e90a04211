/**
 * The instrument model: what a definition file (instruments/*.json, README "Instrument format")
 * holds once it has been validated. Field names are a public contract; see
 * instruments/instrument.schema.json.
 */

export interface ResponseScale {
  min: number;
  max: number;
  /** Fractional answers are valid (visual-analogue lines such as the ORS). */
  continuous?: boolean;
  /** Response labels by value: { "1": "Seldom", "5": "Always" }. */
  labels?: Record<string, string>;
}

export interface Item {
  id: string;
  /** The CSV column the item is read from unless --map says otherwise. */
  column: string;
  text?: string;
  label?: string;
  reverse?: boolean;
  leftPole?: string;
  rightPole?: string;
}

export type ScaleMethod = 'sum' | 'mean';

export interface Scale {
  id: string;
  name: string;
  description?: string;
  items: string[];
  method: ScaleMethod;
  /** How many of the scale's items may be missing and still give a score (default 0). */
  maxMissing?: number;
}

export interface Norm {
  reliability?: number;
  mean?: number;
  sd?: number;
  cutoff?: number;
  /** A score equal to the cutoff is in the clinical range (default true). */
  cutoffIsClinical?: boolean;
  /** A published reliable-change criterion in points (used instead of the RCI from sd and reliability). */
  reliableChange?: number;
  /** Published severity bands, lowest first (a band runs from its min up to the next band's min). */
  bands?: Array<{ min: number; max?: number; label: string }>;
  source?: string;
}

/** A risk item: flagged when the client's latest answer (as given) is at or above the threshold. */
export interface CriticalRule {
  item: string;
  threshold: number;
  message: string;
}

export type KeyStatus = 'verified' | 'provisional';

export interface Instrument {
  id: string;
  name: string;
  version?: string;
  respondent?: 'client' | 'therapist' | 'observer' | 'other';
  /** What it measures; alliance ruptures are looked for only in alliance measures. */
  construct?: 'alliance' | 'outcome' | 'session' | 'satisfaction' | 'counselor' | 'other';
  citation?: string;
  license?: string;
  keyStatus?: KeyStatus;
  sources?: string[];
  notes?: string[];
  responseScale: ResponseScale;
  higherIsBetter: boolean;
  items: Item[];
  scales: Scale[];
  norms?: Record<string, Norm>;
  critical?: CriticalRule[];
}

/** An instrument together with where it came from (a bundled id or a file path). */
export interface LoadedInstrument {
  instrument: Instrument;
  origin: { kind: 'bundled'; file: string } | { kind: 'file'; file: string };
}

/** One problem found in a definition: a stable code, the JSON path, and what to do. */
export interface DefinitionProblem {
  code: string;
  path: string;
  message: string;
}

/** Prefix of an instrument's output columns: the id with '-' turned into '_' (wai-sr -> wai_sr). */
export function columnPrefix(instrumentId: string): string {
  return instrumentId.replace(/-/g, '_');
}

/** Output column suffixes rapport adds per instrument; a scale may not be named like them. */
export const RESERVED_SCALE_IDS = ['answered', 'status', 'problems'] as const;
