/**
 * Matching an instrument's items to the columns of a file. Pure. Header matching ignores case and
 * surrounding spaces; --map overrides an item's default column. Every missing column is reported at
 * once, with the header names that look most like it.
 */
import { inputError } from '../errors.js';
import { nameKey as headerKey, nearestNames } from '../instrument/names.js';
import type { Instrument } from '../instrument/types.js';

/** Item id -> column name, per instrument id: the --map file's shape. */
export type ColumnMap = Record<string, Record<string, string>>;

/**
 * Index in `header` of each item of the instrument, in item order. Throws COLUMNS_MISSING (exit 3)
 * listing every absent column, or COLUMN_AMBIGUOUS when two headers differ only in case or spaces.
 */
export function resolveItemColumns(header: readonly string[], instrument: Instrument, map: Record<string, string> = {}): number[] {
  const index = new Map<string, number>();
  header.forEach((h, i) => {
    const key = headerKey(h);
    if (!index.has(key)) index.set(key, i);
  });
  const missing: string[] = [];
  const indices = instrument.items.map((item) => {
    const column = map[item.id] ?? item.column;
    const i = index.get(headerKey(column));
    if (i === undefined) {
      const near = nearestNames(column, header);
      missing.push(`${column} (item ${item.id})${near.length > 0 ? ` — nearest: ${near.map((n) => `"${n}"`).join(', ')}` : ''}`);
      return -1;
    }
    return i;
  });
  if (missing.length > 0) {
    throw inputError('COLUMNS_MISSING', `${instrument.id}: ${missing.length} of its ${instrument.items.length} item column(s) are not in the file`, {
      details: missing,
      hint: `if the file names them differently, give a --map file: { "${instrument.id}": { "<item id>": "<column>" } }`,
    });
  }
  return indices;
}

/**
 * Checks a --map file's content against the instruments in use, with the codes a definition's
 * problems get: a section for an instrument not given with -i (INSTRUMENT_UNKNOWN), an item the
 * instrument does not have (INSTRUMENT_UNKNOWN_ITEM), two items read from one column
 * (INSTRUMENT_DUPLICATE_COLUMN, counting the items the map leaves on their own columns).
 */
export function validateColumnMap(map: unknown, instruments: readonly Instrument[], file: string): ColumnMap {
  const fail = (code: string, message: string, jsonPath: string) =>
    inputError(code, message, { location: { file, jsonPath }, hint: 'the map is { "<instrument id>": { "<item id>": "<column name>" } }, for the instruments given with -i' });
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw fail('MAP_INVALID', 'a column map must be a JSON object', '$');
  const out: ColumnMap = {};
  for (const [instId, items] of Object.entries(map)) {
    const inst = instruments.find((i) => i.id === instId);
    const at = `$[${JSON.stringify(instId)}]`;
    if (!inst) throw fail('INSTRUMENT_UNKNOWN', `the map has a section for "${instId}", which is not among the instruments given with -i (${instruments.map((i) => i.id).join(', ')})`, at);
    if (typeof items !== 'object' || items === null || Array.isArray(items)) throw fail('MAP_INVALID', `"${instId}" must map item ids to column names`, at);
    const entries: Record<string, string> = {};
    for (const [itemId, column] of Object.entries(items as Record<string, unknown>)) {
      const path = `${at}[${JSON.stringify(itemId)}]`;
      if (!inst.items.some((it) => it.id === itemId)) throw fail('INSTRUMENT_UNKNOWN_ITEM', `${instId} has no item "${itemId}" (its items are ${inst.items.map((it) => it.id).join(', ')})`, path);
      if (typeof column !== 'string' || column.trim() === '') throw fail('MAP_INVALID', `the column for ${instId} item ${itemId} must be a non-empty string`, path);
      entries[itemId] = column;
    }
    // Every item's column after the map: two items on one column would read one answer twice.
    const reader = new Map<string, string>();
    for (const item of inst.items) {
      const column = entries[item.id] ?? item.column;
      const other = reader.get(headerKey(column));
      if (other !== undefined) {
        const path = `${at}[${JSON.stringify(entries[item.id] !== undefined ? item.id : other)}]`;
        throw fail('INSTRUMENT_DUPLICATE_COLUMN', `${instId} items ${other} and ${item.id} would both be read from column "${column}"`, path);
      }
      reader.set(headerKey(column), item.id);
    }
    out[instId] = entries;
  }
  return out;
}
