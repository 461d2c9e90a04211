/**
 * Wide files (one row per client, a column per item and session: `wai1_s1 … wai12_s3`) read as
 * long ones. `--wide '{column}_s{session}'` names the columns: `{column}` is the column an item (or
 * a score) has in long form, `{session}` the session number. Every other column is carried to each
 * administration. A row gives one administration per session with any answer, in session order,
 * each keeping the row's line, and each cell keeps its original column for problems (wai1_s2, not
 * wai1). Also: whether a header that an instrument cannot read looks wide, and the pattern to
 * propose. Pure, but for the batches it wraps.
 */
import { inputError, usageError } from '../errors.js';
import { ArrayBatch, ArrayRecord, type Row } from './records.js';
import type { TableSource } from './source.js';

/** The session column a wide file's administrations get. */
export const WIDE_SESSION = 'session';

interface WideLayout {
  /** Columns carried to every administration. */
  carried: number[];
  /** The long-form columns, in order of first appearance. */
  names: string[];
  /** The sessions, ascending. */
  sessions: number[];
  /** [session][name] → wide column index, or -1. */
  cells: Int32Array[];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The pattern as a regular expression over column names (case ignored), or BAD_WIDE_PATTERN. */
export function widePattern(pattern: string): { regex: RegExp; columnFirst: boolean } {
  const c = pattern.indexOf('{column}');
  const s = pattern.indexOf('{session}');
  const count = (t: string) => pattern.split(t).length - 1;
  if (c < 0 || s < 0 || count('{column}') !== 1 || count('{session}') !== 1) {
    throw usageError('BAD_WIDE_PATTERN', `--wide "${pattern}" must hold {column} and {session} once each`, "e.g. --wide '{column}_s{session}' for wai1_s1 … wai12_s3, or --wide 't{session}_{column}' for t1_wai1");
  }
  const columnFirst = c < s;
  const [first, second] = columnFirst ? ['{column}', '{session}'] : ['{session}', '{column}'];
  const [a, rest] = [pattern.slice(0, pattern.indexOf(first)), pattern.slice(pattern.indexOf(first) + first.length)];
  const [b, z] = [rest.slice(0, rest.indexOf(second)), rest.slice(rest.indexOf(second) + second.length)];
  const part = (t: string) => (t === '{column}' ? '(.+?)' : '(\\d+)');
  return { regex: new RegExp(`^${escapeRegExp(a)}${part(first)}${escapeRegExp(b)}${part(second)}${escapeRegExp(z)}$`, 'i'), columnFirst };
}

function layout(header: readonly string[], pattern: string, file: string): WideLayout {
  const { regex, columnFirst } = widePattern(pattern);
  const carried: number[] = [];
  const names: string[] = [];
  const byKey = new Map<string, number>();
  const found: Array<{ index: number; name: number; session: number }> = [];
  header.forEach((h, index) => {
    const m = regex.exec(h.trim());
    if (!m) {
      carried.push(index);
      return;
    }
    const [column, session] = columnFirst ? [m[1]!, m[2]!] : [m[2]!, m[1]!];
    const key = column.toLowerCase();
    let name = byKey.get(key);
    if (name === undefined) {
      name = names.length;
      byKey.set(key, name);
      names.push(column);
    }
    found.push({ index, name, session: Number(session) });
  });
  if (found.length === 0) {
    throw inputError('WIDE_NO_COLUMNS', `--wide "${pattern}": no column of ${file} fits the pattern`, {
      location: { file },
      hint: `its columns are ${header.slice(0, 8).join(', ')}${header.length > 8 ? ', …' : ''}; for wai1_s1 the pattern is '{column}_s{session}'`,
    });
  }
  if (carried.some((i) => header[i]!.trim().toLowerCase() === WIDE_SESSION)) {
    throw inputError('WIDE_SESSION_TAKEN', `--wide: ${file} already has a column called ${WIDE_SESSION}, and the wide file's sessions need that name`, { location: { file }, hint: 'rename that column first' });
  }
  const clash = names.find((n) => carried.some((i) => header[i]!.trim().toLowerCase() === n.toLowerCase()));
  if (clash !== undefined) {
    throw inputError('WIDE_COLUMN_TAKEN', `--wide: ${file} has both a column ${clash} and wide columns for ${clash}`, { location: { file }, hint: 'rename one of them, or give a pattern that fits only the wide columns' });
  }
  const sessions = [...new Set(found.map((f) => f.session))].sort((x, y) => x - y);
  const cells = sessions.map(() => new Int32Array(names.length).fill(-1));
  for (const f of found) {
    const row = cells[sessions.indexOf(f.session)]!;
    if (row[f.name]! >= 0) {
      throw inputError('WIDE_COLUMN_TWICE', `--wide: ${header[row[f.name]!]} and ${header[f.index]} are both ${names[f.name]} at session ${f.session}`, { location: { file } });
    }
    row[f.name] = f.index;
  }
  return { carried, names, sessions, cells };
}

/** One administration of a wide row: the carried cells, the session, the session's cells. */
class WideRecord extends ArrayRecord {
  constructor(
    line: number,
    fields: string[],
    private readonly origin: readonly string[],
  ) {
    super(fields, line);
  }

  /** The wide file's column a cell came from. */
  sourceColumn(i: number): string | undefined {
    return this.origin[i];
  }
}

/** The table read as long: see the module comment. */
export function widen(table: TableSource, pattern: string): TableSource {
  const { carried, names, sessions, cells } = layout(table.header, pattern, table.name);
  const header = [...carried.map((i) => table.header[i]!), WIDE_SESSION, ...names];
  const origins = sessions.map((s, k) => [...carried.map((i) => table.header[i]!), `(${s})`, ...names.map((_, n) => (cells[k]![n]! >= 0 ? table.header[cells[k]![n]!]! : ''))]);
  const wide = { pattern, rows: 0, administrations: 0, emptyRows: 0, emptyLines: [] as number[] };
  async function* batches() {
    for await (const batch of table.batches) {
      const out: Row[] = [];
      for (let j = 0; j < batch.length; j++) {
        const r = batch.at(j);
        const before = out.length;
        const carriedCells = carried.map((i) => r.text(i));
        sessions.forEach((s, k) => {
          const row = cells[k]!;
          const own = names.map((_, n) => (row[n]! >= 0 ? r.text(row[n]!) : ''));
          if (own.every((v) => v.trim() === '')) return;
          out.push(new WideRecord(r.line, [...carriedCells, String(s), ...own], origins[k]!));
        });
        wide.rows++;
        wide.administrations += out.length - before;
        if (out.length === before) {
          wide.emptyRows++;
          if (wide.emptyLines.length < 20) wide.emptyLines.push(r.line);
        }
      }
      if (out.length > 0) yield new ArrayBatch(out);
    }
  }
  return { ...table, header, batches: batches(), dialect: { ...table.dialect, wide } };
}

/**
 * A pattern that would read this header as wide for these long-form columns, when most of them
 * appear as `<column><text><number><text>` (wai1_s1, wai1.2, t1_wai1 …); undefined otherwise.
 */
export function proposeWidePattern(header: readonly string[], columns: readonly string[]): string | undefined {
  const lower = header.map((h) => h.trim().toLowerCase());
  const votes = new Map<string, number>();
  for (const c of columns) {
    const col = c.toLowerCase();
    const seen = new Set<string>();
    for (const h of lower) {
      let p: string | undefined;
      if (h.startsWith(col)) {
        const m = /^(\D*)(\d+)(\D*)$/.exec(h.slice(col.length));
        if (m && m[1] !== '') p = `{column}${m[1]}{session}${m[3]}`;
      } else if (h.endsWith(col)) {
        const m = /^(\D*)(\d+)(\D*)$/.exec(h.slice(0, h.length - col.length));
        if (m && m[3] !== '') p = `${m[1]}{session}${m[3]}{column}`;
      }
      if (p !== undefined && !seen.has(p)) {
        seen.add(p);
        votes.set(p, (votes.get(p) ?? 0) + 1);
      }
    }
  }
  const best = [...votes].sort((a, b) => b[1] - a[1])[0];
  return best && best[1] >= Math.ceil(columns.length / 2) ? best[0] : undefined;
}
