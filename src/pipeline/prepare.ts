/**
 * The first steps every command that reads responses shares: refuse outputs that would overwrite
 * the input, open the input, and bind each instrument to the file's columns.
 */
import type { Readable } from 'node:stream';
import { inputError, RapportError } from '../errors.js';
import { nearestNames } from '../instrument/names.js';
import type { LoadedInstrument } from '../instrument/types.js';
import { openTable, type ReadOptions, type TableSource } from '../input/table.js';
import { proposeWidePattern, widePattern, widen } from '../input/wide.js';
import { assertDistinctPaths } from '../output/sink.js';
import { type ColumnMap, resolveItemColumns } from '../scoring/columns.js';
import { buildScoringPlan, type ScoringPlan } from '../scoring/plan.js';

export interface OpenedRun {
  table: TableSource;
  plans: ScoringPlan[];
}

export async function openRun(
  opts: { input: string; instruments: readonly LoadedInstrument[]; map?: ColumnMap; outputs?: ReadonlyArray<{ option: string; path: string | undefined }>; read?: ReadOptions },
  stdin: Readable,
): Promise<OpenedRun> {
  await assertDistinctPaths(opts.input, opts.outputs ?? []);
  const read = await openTable(opts.input, stdin, opts.read);
  const table = opts.read?.wide === undefined ? read : widen(read, opts.read.wide);
  const plans = opts.instruments.map(({ instrument }) => {
    let columns: number[];
    try {
      columns = resolveItemColumns(table.header, instrument, opts.map?.[instrument.id]);
    } catch (err) {
      const wide = err instanceof RapportError && opts.read?.wide === undefined ? proposeWidePattern(table.header, instrument.items.map((it) => opts.map?.[instrument.id]?.[it.id] ?? it.column)) : undefined;
      if (wide !== undefined) {
        throw inputError('WIDE_FILE', `${instrument.id}: the file looks wide (a row per client, a column per item and session, such as ${table.header.find((h) => widePattern(wide).regex.test(h.trim()))}), and its item columns are not there as such`, {
          location: { file: table.name },
          hint: `read it as wide with --wide '${wide}': each row becomes one administration per session with answers`,
        });
      }
      const others = table.dialect.otherSheets;
      if (!(err instanceof RapportError) || others === undefined) throw err;
      throw inputError(err.code, err.message, {
        details: err.details,
        hint: `${err.hint ?? ''}${err.hint ? '; or ' : ''}read another worksheet of the workbook (this was its first) with --sheet: ${others.map((s) => `"${s}"`).join(', ')}`,
      });
    }
    return buildScoringPlan(instrument, columns, table.header, { decimalComma: table.dialect.decimalComma });
  });
  return { table, plans };
}

/** Index of a named column (case and surrounding spaces ignored), or unusable input naming the nearest headers. */
export function findColumn(header: readonly string[], column: string, option: string, file: string): number {
  const i = header.findIndex((h) => h.trim().toLowerCase() === column.trim().toLowerCase());
  if (i >= 0) return i;
  const near = nearestNames(column, header);
  throw inputError('COLUMN_NOT_FOUND', `${option} ${column}: ${file} has no such column`, {
    location: { file },
    hint: near.length > 0 ? `did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : `its columns are ${header.slice(0, 12).join(', ')}${header.length > 12 ? ', …' : ''}`,
  });
}
