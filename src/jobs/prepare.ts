/**
 * The first steps every command that reads responses shares: refuse outputs that would overwrite
 * the input, open and parse the CSV header, and bind each instrument to the file's columns.
 */
import type { Readable } from 'node:stream';
import { inputError } from '../errors.js';
import type { LoadedInstrument } from '../instrument/types.js';
import { ArrayBatch, type CsvRecord, type RecordBatch } from '../io/csv-read.js';
import { type FirstPart, openTable, type ReadOptions, type SkippedRow, type TableSource } from '../io/table.js';
import { assertDistinctPaths } from '../output/sink.js';
import { type ColumnMap, nearestNames, resolveItemColumns } from '../scoring/columns.js';
import { buildScoringPlan, type ScoringPlan } from '../scoring/score.js';

export interface PreparedInput {
  csv: TableSource;
  plans: ScoringPlan[];
}

/** Optional hooks every job passes through to the reader. */
export interface InputHooks {
  /** Given the header (and rows skipped above the data), a function that may rewrite each row's fields in place (e.g. pseudonymisation). */
  transform?: (header: readonly string[], skipped: readonly SkippedRow[]) => (fields: string[]) => void;
  /** Called now and then with the bytes read so far. */
  onProgress?: (bytesRead: number) => void;
}

export async function prepareInput(
  opts: { input: string; instruments: readonly LoadedInstrument[]; map?: ColumnMap; outputs: Array<{ option: string; path: string | undefined }>; hooks?: InputHooks; read?: ReadOptions },
  stdin: Readable,
  /** Read only the first part of the file (src/parallel). */
  firstPart?: FirstPart,
): Promise<PreparedInput> {
  await assertDistinctPaths(opts.input, opts.outputs);
  const csv = withHooks(await openTable(opts.input, stdin, opts.read, firstPart), opts.hooks);
  const plans = opts.instruments.map(({ instrument }) =>
    buildScoringPlan(instrument, resolveItemColumns(csv.header, instrument, opts.map?.[instrument.id]), csv.header, { decimalComma: csv.dialect.decimalComma }),
  );
  return { csv, plans };
}

function withHooks(csv: TableSource, hooks: InputHooks | undefined): TableSource {
  if (!hooks?.transform && !hooks?.onProgress) return csv;
  const transform = hooks.transform?.(csv.header, csv.skipped);
  const onProgress = hooks.onProgress;
  const source = csv.batches;
  async function* batches(): AsyncGenerator<RecordBatch> {
    for await (const b of source) {
      if (transform) {
        // Rewritten rows are held as text: their raw bytes no longer speak for them.
        const rows: CsvRecord[] = [];
        for (let j = 0; j < b.length; j++) {
          const r = b.at(j);
          const fields = [...r.fields];
          transform(fields);
          rows.push({ fields, line: r.line });
        }
        yield new ArrayBatch(rows);
      } else yield b;
      onProgress?.(csv.bytesRead());
    }
  }
  return { ...csv, batches: batches() };
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
