/** Option groups shared by several commands: defined once, parsed and checked once. */
import { randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { inputError, usageError } from '../errors.js';
import type { LoadedInstrument } from '../instrument/types.js';
import { type ColumnMap, validateColumnMap } from '../scoring/columns.js';
import type { CliContext } from './context.js';
import { type Preset, validateEventMap } from '../input/presets.js';
import type { ReadOptions } from '../input/table.js';
import type { MissingMode } from '../reliability/analyse.js';
import { type EtrModel, parseEtrModels } from '../trajectory/etr.js';
import type { RuptureMethod } from '../trajectory/ruptures.js';

/** A number option, checked; undefined when not given. */
export function parseNumberOption(value: string | undefined, option: string, ok: (x: number) => boolean, what: string): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || !ok(x)) throw usageError('BAD_NUMBER', `${option} must be ${what}, not "${value}"`);
  return x;
}

export interface TrajectoryOptionValues {
  client?: string;
  session?: string;
  therapist?: string;
  reliability?: string;
  sd?: string;
  suddenGainCutoff?: string;
  cutoff?: string;
  ruptureMethod?: string;
  repairWindow: string;
  date?: string;
  dateFormat?: string;
  sessionOrder?: string;
  inactiveDays?: string;
  etrZ?: string;
  expected?: string;
  saveExpected?: string;
}

/** --date, --date-format, --session-order: the administrations' dates, and whether they number the sessions. */
export function addDateOptions(cmd: Command): Command {
  return cmd
    .option('--date <col>', 'date of each administration (default: date when present)')
    .option('--date-format <f>', 'how dates are written: iso (YYYY-MM-DD, the default), dmy (31/12/2025, 31.12.2025) or mdy (12/31/2025); ISO dates are read with any')
    .option('--session-order <o>', 'session (numbers from the session column, the default) or date (each client\'s administrations numbered in date order; a --session column of dates does the same)');
}

export function parseDateOptions(o: { date?: string; dateFormat?: string; sessionOrder?: string }) {
  return {
    ...(o.date === undefined ? {} : { date: o.date }),
    ...(o.dateFormat === undefined ? {} : { dateFormat: oneOf(o.dateFormat, ['iso', 'dmy', 'mdy'] as const, '--date-format') }),
    ...(o.sessionOrder === undefined ? {} : { sessionOrder: oneOf(o.sessionOrder, ['session', 'date'] as const, '--session-order') }),
  };
}

export function addTrajectoryOptions(cmd: Command, note = ''): Command {
  cmd
    .option('--client <col>', 'client id column (default: client_id, or the preset\'s)')
    .option('--session <col>', 'session number column, whole numbers (default: session, or the preset\'s)')
    .option('--therapist <col>', 'therapist column (default: therapist_id when present)')
    .option('--reliability <r>', `reliability for the RCI (default: the instrument norm, else alpha at the first administrations)${note}`)
    .option('--sd <s>', `SD for the RCI (default: SD of the clients' first scores)${note}`)
    .option('--sudden-gain-cutoff <x>', `criterion 1 for sudden gains/losses (default: 1.96 × S_diff)${note}`)
    .option('--cutoff <c>', `clinical cutoff (default: the instrument norm; c itself counts as clinical)${note}`)
    .option('--rupture-method <m>', 'alliance measures: gumz (default), stiles or strauss')
    .option('--repair-window <w>', 'a repair must come within w observed sessions', '3');
  addDateOptions(cmd);
  return cmd
    .option('--inactive-days <n>', 'flag clients not seen in the n days before the latest date in the file')
    .option('--etr-z <z>', 'outcome measures: width of the expected-response band in SDs (default 1.2816: the worst 10 %)')
    .option('--expected <model.json>', 'outcome measures: apply expected-response models saved earlier instead of fitting them')
    .option('--save-expected <model.json>', 'outcome measures: save the fitted expected-response models, to apply to later data');
}

function oneOf<T extends string>(value: string, allowed: readonly T[], option: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw usageError('BAD_OPTION_VALUE', `${option} must be ${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}, not "${value}"`);
  return value as T;
}

export function parseTrajectoryOptions(o: TrajectoryOptionValues) {
  if (o.ruptureMethod !== undefined && !['gumz', 'stiles', 'strauss'].includes(o.ruptureMethod)) throw usageError('BAD_RUPTURE_METHOD', `--rupture-method must be gumz, stiles or strauss, not "${o.ruptureMethod}"`);
  return {
    client: o.client,
    session: o.session,
    therapist: o.therapist,
    reliability: parseNumberOption(o.reliability, '--reliability', (x) => x > 0 && x < 1, 'a number between 0 and 1'),
    sd: parseNumberOption(o.sd, '--sd', (x) => x > 0, 'a positive number'),
    suddenGainCutoff: parseNumberOption(o.suddenGainCutoff, '--sudden-gain-cutoff', (x) => x > 0, 'a positive number'),
    cutoff: parseNumberOption(o.cutoff, '--cutoff', () => true, 'a number'),
    ...(o.ruptureMethod === undefined ? {} : { ruptureMethod: o.ruptureMethod as RuptureMethod }),
    repairWindow: parseNumberOption(o.repairWindow, '--repair-window', (x) => Number.isInteger(x) && x >= 1, 'a whole number of at least 1')!,
    ...parseDateOptions(o),
    ...(o.inactiveDays === undefined ? {} : { inactiveDays: parseNumberOption(o.inactiveDays, '--inactive-days', (x) => Number.isInteger(x) && x >= 1, 'a whole number of days, 1 or more')! }),
    ...(o.etrZ === undefined ? {} : { etrZ: parseNumberOption(o.etrZ, '--etr-z', (x) => x > 0 && x <= 5, 'a number above 0 and at most 5')! }),
  };
}

/** The models of an --expected file, checked (EXPECTED_MODEL_INVALID with the JSON path when they are not). */
export async function readExpectedModels(path: string): Promise<EtrModel[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw inputError('EXPECTED_MODEL_NOT_FOUND', `cannot read the model file ${path}`, { location: { file: path }, hint: 'write one with --save-expected on earlier data' });
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw inputError('EXPECTED_MODEL_INVALID', `${path} is not valid JSON: ${(err as Error).message}`, { location: { file: path } });
  }
  const models = parseEtrModels(value, path);
  if (!Array.isArray(models)) throw inputError('EXPECTED_MODEL_INVALID', `${path}: ${models.message}`, { location: { file: path, jsonPath: models.path }, hint: 'use a file written by --save-expected' });
  return models;
}

export interface ReliabilityOptionValues {
  missing: string;
  boot?: string;
  seed?: string;
}

export function addReliabilityOptions(cmd: Command, prefix = ''): Command {
  return cmd
    .option('--missing <mode>', `${prefix}pairwise (as psych::alpha) or listwise`, 'pairwise')
    .option('--boot <n>', `${prefix}bootstrap percentile intervals from n resamples of rows`)
    .option('--seed <s>', `${prefix}seed for --boot (default: a random seed, reported)`);
}

export function parseReliabilityOptions(o: ReliabilityOptionValues): { missing: MissingMode; boot?: number; seed: number; seedGiven: boolean } {
  if (o.missing !== 'pairwise' && o.missing !== 'listwise') throw usageError('BAD_MISSING', `--missing must be pairwise or listwise, not "${o.missing}"`);
  const boot = parseNumberOption(o.boot, '--boot', (x) => Number.isInteger(x) && x >= 0 && x <= 100_000, 'a whole number from 0 to 100000');
  const given = parseNumberOption(o.seed, '--seed', (x) => Number.isInteger(x) && x >= 0 && x < 2 ** 31, 'a whole number from 0 to 2147483647');
  return { missing: o.missing, ...(boot === undefined ? {} : { boot }), seed: given ?? randomInt(1, 2 ** 31 - 1), seedGiven: given !== undefined };
}

export interface ReadOptionValues {
  maxRecordSize?: string;
  delimiter?: string;
  decimal?: string;
  encoding?: string;
  sheet?: string;
  valueLabels?: boolean;
  wide?: string;
  escapeFormulas?: boolean;
}

/** How to read the input file, and whether to neutralise formulas in CSV output. */
export function addReadOptions(cmd: Command): Command {
  return cmd
    .option('--delimiter <d>', 'field delimiter: , ; tab or | (default: detected from the header line)')
    .option('--decimal <sep>', 'decimal separator in cells: . or , (default: , when the delimiter is not a comma)')
    .option('--encoding <name>', 'text encoding, e.g. windows-1252, latin1, utf-16le (default: from the BOM, else UTF-8)')
    .option('--sheet <name>', 'worksheet of an .xlsx file (default: the first)')
    .option('--value-labels', 'SPSS .sav: use value labels as the answers instead of the codes')
    .option('--wide <pattern>', "a wide file (a row per client): its columns' pattern, {column} the long column and {session} the session, e.g. '{column}_s{session}' for wai1_s1")
    .option('--max-record-size <size>', 'the longest row accepted, e.g. 4MB (default 1MB); a longer one is refused at once with its line')
    .option('--no-escape-formulas', 'write text cells starting with = + - @ as they are (by default they get a leading \' so spreadsheets do not run them)');
}

/** "4MB", "512KB", "2M", "1048576" (bytes) as a number of bytes. */
export function parseSize(value: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|m|mb|g|gb)?\s*$/i.exec(value);
  const unit = { '': 1, b: 1, k: 1024, kb: 1024, m: 1 << 20, mb: 1 << 20, g: 1 << 30, gb: 1 << 30 }[(m?.[2] ?? '').toLowerCase()];
  const bytes = m && unit ? Math.round(Number(m[1]) * unit) : Number.NaN;
  if (!(bytes >= 1024 && bytes <= 1 << 30)) throw usageError('BAD_SIZE', `${option} must be a size from 1KB to 1GB, such as 4MB, not "${value}"`);
  return bytes;
}

export function parseReadOptions(o: ReadOptionValues): ReadOptions {
  if (o.decimal !== undefined && o.decimal !== ',' && o.decimal !== '.') throw usageError('BAD_DECIMAL', `--decimal must be . or , not "${o.decimal}"`);
  return {
    ...(o.maxRecordSize === undefined ? {} : { maxRecordBytes: parseSize(o.maxRecordSize, '--max-record-size') }),
    ...(o.delimiter === undefined ? {} : { delimiter: o.delimiter }),
    ...(o.decimal === undefined ? {} : { decimal: o.decimal as ',' | '.' }),
    ...(o.encoding === undefined ? {} : { encoding: o.encoding }),
    ...(o.sheet === undefined ? {} : { sheet: o.sheet }),
    ...(o.valueLabels === true ? { valueLabels: true } : {}),
    ...(o.wide === undefined ? {} : { wide: o.wide }),
  };
}

export interface PresetOptionValues {
  preset?: string;
  eventMap?: string;
}

export function addPresetOptions(cmd: Command): Command {
  return cmd
    .option('--preset <tool>', 'qualtrics or redcap: their usual client/session columns (detected when unambiguous)')
    .option('--event-map <file.json>', 'REDCap: { "<redcap_event_name>": <session number> } when event names hold no number');
}

export async function parsePresetOptions(o: PresetOptionValues): Promise<{ preset?: Preset; eventMap?: Record<string, number> }> {
  if (o.preset !== undefined && o.preset !== 'qualtrics' && o.preset !== 'redcap') throw usageError('BAD_PRESET', `--preset must be qualtrics or redcap, not "${o.preset}"`);
  let eventMap: Record<string, number> | undefined;
  if (o.eventMap !== undefined) {
    let text: string;
    try {
      text = await readFile(o.eventMap, 'utf8');
    } catch {
      throw inputError('EVENT_MAP_NOT_FOUND', `cannot read the event map ${o.eventMap}`, { location: { file: o.eventMap } });
    }
    let value: unknown;
    try {
      value = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (err) {
      throw inputError('EVENT_MAP_INVALID', `${o.eventMap} is not valid JSON: ${(err as Error).message}`, { location: { file: o.eventMap } });
    }
    eventMap = validateEventMap(value, o.eventMap);
  }
  return { ...(o.preset === undefined ? {} : { preset: o.preset as Preset }), ...(eventMap ? { eventMap } : {}) };
}

export function parseDigits(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) > 15) throw usageError('BAD_DIGITS', `--digits must be a whole number from 0 to 15, not "${value}"`);
  return Number(value);
}

export async function readColumnMap(path: string, instruments: readonly LoadedInstrument[]): Promise<ColumnMap> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw inputError('MAP_NOT_FOUND', `cannot read the column map ${path}`, { location: { file: path } });
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw inputError('MAP_INVALID', `${path} is not valid JSON: ${(err as Error).message}`, { location: { file: path } });
  }
  return validateColumnMap(value, instruments.map((l) => l.instrument), path);
}

export function warnProvisional(ctx: CliContext, instruments: readonly LoadedInstrument[]): void {
  for (const { instrument: i } of instruments) {
    if (i.keyStatus === 'provisional') {
      ctx.warn(`${i.id} is scored with a provisional key (not verified in two independent sources); check it against your form: rapport instruments show ${i.id}`);
    }
  }
}

