/**
 * Which columns hold the client, the session and the therapist, for plain files and for the
 * conventions of survey tools, and the date of each administration. Qualtrics: the client in
 * ExternalReference, the session in an embedded-data field `session`, the date in RecordedDate. REDCap: the client in record_id; the session in
 * redcap_repeat_instance (repeating instruments; a row without an instance is the record's base
 * row), or in redcap_event_name (longitudinal projects: the number in `session_3_arm_1`, or an
 * --event-map). Presets are detected from the header when that is unambiguous. Pure.
 */
import { inputError, usageError } from '../errors.js';
import type { DateFormat } from './dates.js';
import type { SkippedRow } from './source.js';

export type Preset = 'qualtrics' | 'redcap';

export type SessionSource =
  | { kind: 'column'; index: number; name: string }
  /** Sessions numbered per client in the order of this date column (--session-order date, or a --session column of dates). */
  | { kind: 'date-order'; index: number; name: string }
  | { kind: 'redcap-instance'; index: number; name: string }
  | { kind: 'redcap-event'; index: number; name: string; map?: Record<string, number> };

export interface ColumnRoles {
  preset?: Preset;
  client: number;
  session: SessionSource;
  /** -1 when there is no therapist column. */
  therapist: number;
  /** The date of each administration; -1 when there is none. */
  date: number;
  /** How the dates are written (default iso). */
  dateFormat: DateFormat;
}

export interface RoleOptions {
  client?: string;
  session?: string;
  therapist?: string;
  date?: string;
  preset?: Preset;
  eventMap?: Record<string, number>;
  /** 'date': number each client's sessions in date order (the date column), not from a session column. */
  sessionOrder?: 'session' | 'date';
  dateFormat?: DateFormat;
}

const key = (s: string) => s.trim().toLowerCase();

function indexOf(header: readonly string[], name: string): number {
  return header.findIndex((h) => key(h) === key(name));
}

export function detectPreset(header: readonly string[], skipped: readonly SkippedRow[]): Preset | undefined {
  const has = (n: string) => indexOf(header, n) >= 0;
  if (has('record_id') && (has('redcap_repeat_instance') || has('redcap_event_name'))) return 'redcap';
  if (skipped.some((s) => s.reason.startsWith('Qualtrics')) || (has('ResponseId') && has('ExternalReference'))) return 'qualtrics';
  return undefined;
}

/**
 * The roles of the header's columns. Explicit options win; then a plain `client_id`/`session`/
 * `therapist_id`; then the preset's conventions. `find` reports a missing column (with suggestions).
 */
export function resolveRoles(
  header: readonly string[],
  skipped: readonly SkippedRow[],
  o: RoleOptions,
  find: (column: string, option: string) => number,
): ColumnRoles {
  const preset = o.preset ?? detectPreset(header, skipped);
  const present = (n: string) => indexOf(header, n) >= 0;
  const clientName = o.client ?? (present('client_id') ? 'client_id' : preset === 'redcap' ? 'record_id' : preset === 'qualtrics' ? 'ExternalReference' : 'client_id');
  const client = find(clientName, '--client');
  let session: SessionSource;
  // The date: --date, else a `date` column, else Qualtrics' RecordedDate.
  const date = o.date !== undefined ? find(o.date, '--date') : present('date') ? indexOf(header, 'date') : preset === 'qualtrics' ? indexOf(header, 'RecordedDate') : -1;
  if (o.sessionOrder === 'date') {
    if (o.session !== undefined) throw usageError('SESSION_ORDER_WITH_SESSION', '--session-order date numbers the sessions from the dates: it takes no --session column', 'leave out --session, and name the date column with --date if it is not called date');
    if (date < 0) throw inputError('DATE_COLUMN_MISSING', '--session-order date needs a date column, and the file has none called date', { hint: 'name it with --date <column>' });
    session = { kind: 'date-order', index: date, name: header[date]! };
  } else if (o.session === undefined && !present('session') && preset !== 'redcap' && date >= 0) {
    throw inputError('SESSION_COLUMN_MISSING', `the file has no session column, but it has dates (${header[date]})`, {
      hint: `number each client's sessions in date order with --session-order date${o.dateFormat === undefined ? ' (and --date-format dmy or mdy if the dates are not YYYY-MM-DD)' : ''}, or name the session column with --session`,
    });
  } else if (o.session !== undefined || present('session') || preset !== 'redcap') {
    const name = o.session ?? 'session';
    session = { kind: 'column', index: find(name, '--session'), name };
  } else if (present('redcap_repeat_instance') && o.eventMap === undefined) {
    session = { kind: 'redcap-instance', index: indexOf(header, 'redcap_repeat_instance'), name: 'redcap_repeat_instance' };
  } else if (present('redcap_event_name')) {
    session = { kind: 'redcap-event', index: indexOf(header, 'redcap_event_name'), name: 'redcap_event_name', ...(o.eventMap ? { map: o.eventMap } : {}) };
  } else {
    throw inputError('SESSION_COLUMN_MISSING', 'a REDCap export needs redcap_repeat_instance or redcap_event_name for the session', { hint: 'or name the session column with --session' });
  }
  if (o.eventMap !== undefined && session.kind !== 'redcap-event') {
    throw usageError('EVENT_MAP_UNUSED', '--event-map needs a redcap_event_name column to map', 'leave it out, or export the events');
  }
  const therapist = o.therapist !== undefined ? find(o.therapist, '--therapist') : indexOf(header, 'therapist_id');
  return { ...(preset ? { preset } : {}), client, session, therapist, date, dateFormat: o.dateFormat ?? 'iso' };
}

const INTEGER = /^[+-]?\d+(\.0*)?$/;

export type SessionRead =
  | { ok: true; session: number }
  | { ok: false; base: true }
  | { ok: false; base: false; code: string; message: string; value: string };

/**
 * The session number of a row, or why there is none. `number`, when given, reads a cell as a plain
 * decimal number without decoding it (FastRecord.number): a whole number there is the session, as
 * the text rule below would find it; anything else goes through the text.
 */
export function readSession(cell: (i: number) => string, src: SessionSource, number?: (i: number) => number): SessionRead {
  if (src.kind === 'column' && number) {
    const n = number(src.index);
    if (Number.isInteger(n)) return { ok: true, session: n };
  }
  const value = cell(src.index).trim();
  if (src.kind === 'redcap-instance' && value === '') return { ok: false, base: true };
  if (src.kind === 'redcap-event') {
    if (src.map) {
      const n = Object.prototype.hasOwnProperty.call(src.map, value) ? src.map[value] : undefined;
      return n === undefined
        ? { ok: false, base: false, code: 'EVENT_UNMAPPED', value, message: `event "${value}" is not in the --event-map: the row is left out` }
        : { ok: true, session: n };
    }
    const number = /(\d+)/.exec(value.replace(/_arm_\d+$/i, ''));
    return number
      ? { ok: true, session: Number(number[1]) }
      : { ok: false, base: false, code: 'EVENT_WITHOUT_SESSION', value, message: `event "${value}" has no session number in its name: give an --event-map; the row is left out` };
  }
  if (!INTEGER.test(value)) return { ok: false, base: false, code: 'SESSION_NOT_INTEGER', value, message: `session "${value}" is not a whole number: the row is left out` };
  return { ok: true, session: Number(value) };
}

/** Checks an --event-map file's content: event name -> whole session number. */
export function validateEventMap(value: unknown, file: string): Record<string, number> {
  const bad = (message: string) => inputError('EVENT_MAP_INVALID', message, { location: { file }, hint: 'the map is { "<redcap_event_name>": <session number>, … }' });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('an event map must be a JSON object');
  const out: Record<string, number> = Object.create(null) as Record<string, number>;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(`event "${k}" must map to a whole session number`);
    out[k] = v;
  }
  return out;
}
