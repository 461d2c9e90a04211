/**
 * `rapport score` as a job: read -> score -> write, streaming. Rows are written in batches, so
 * memory stays flat whatever the number of rows. Outputs are committed (renamed into place) only
 * when the whole input was read; on any failure they are removed.
 */
import type { Readable, Writable } from 'node:stream';
import type { Dialect, ReadOptions, SkippedRow } from '../io/table.js';
import { inputError } from '../errors.js';
import type { LoadedInstrument } from '../instrument/types.js';
import { csvField, escapeFormula, toCsv } from '../report/csv.js';
import { FastRecord } from '../io/fast-csv.js';
import { ByteBuilder, fileSink, type OutputSink, streamSink } from '../io/write.js';
import { formatNumber } from '../report/format.js';
import { addedColumns, PROBLEM_COLUMNS, renderProblemRows, renderProblemsCell, renderScoreFields, renderScoreJson } from '../report/score-rows.js';
import type { ColumnMap } from '../scoring/columns.js';
import { type InstrumentScore, type InstrumentStatus, newInstrumentScore, newItemValues, readItems, scoreItems } from '../scoring/score.js';
import { type InputHooks, prepareInput } from './prepare.js';

export interface ScoreJobOptions {
  input: string;
  hooks?: InputHooks;
  read?: ReadOptions;
  instruments: readonly LoadedInstrument[];
  map?: ColumnMap;
  /** A path, or '-'/undefined for standard output. */
  output?: string;
  errors?: string;
  format: 'csv' | 'json';
  digits?: number;
  /** Neutralise text cells that a spreadsheet would run as formulas (default true). */
  escapeFormulas?: boolean;
}

export interface InstrumentSummary {
  id: string;
  counts: Record<InstrumentStatus, number>;
  problems: number;
}

export interface ScoreSummary {
  input: string;
  rows: number;
  /** Rows read but not data (Qualtrics header rows), and how the file was read. */
  skipped: SkippedRow[];
  dialect: Dialect;
  problems: number;
  instruments: InstrumentSummary[];
}

/** Refuses to add an output column the input already has: a silent overwrite would lose data. */
function assertNoColumnClash(header: readonly string[], added: readonly string[], file: string): void {
  const existing = new Set(header.map((h) => h.trim().toLowerCase()));
  const clash = added.filter((c) => existing.has(c.toLowerCase()));
  if (clash.length > 0) {
    throw inputError('COLUMN_EXISTS', `${file} already has column(s) ${clash.join(', ')}, which score would add`, {
      location: { file },
      hint: 'is this file already scored? drop or rename those columns first',
    });
  }
}

export async function runScoreJob(opts: ScoreJobOptions, io: { stdin: Readable; stdout: Writable }): Promise<ScoreSummary> {
  const { csv, plans } = await prepareInput(
    { ...opts, outputs: [{ option: '-o', path: opts.output }, { option: '--errors', path: opts.errors }] },
    io.stdin,
  );
  const instruments = opts.instruments.map((l) => l.instrument);
  const added = instruments.flatMap(addedColumns);
  assertNoColumnClash(csv.header, added, csv.name);

  const sinks: OutputSink[] = [];
  const abortAll = () => Promise.all(sinks.map((s) => s.abort()));
  try {
    const out = opts.output === undefined || opts.output === '-' ? streamSink(io.stdout) : await fileSink(opts.output);
    sinks.push(out);
    const errors = opts.errors === undefined ? undefined : await fileSink(opts.errors);
    if (errors) sinks.push(errors);

    const summary: ScoreSummary = {
      input: csv.name,
      rows: 0,
      skipped: csv.skipped,
      dialect: csv.dialect,
      problems: 0,
      instruments: instruments.map((i) => ({ id: i.id, counts: { ok: 0, prorated: 0, incomplete: 0, invalid: 0 }, problems: 0 })),
    };
    const json = opts.format === 'json';
    const escape = opts.escapeFormulas !== false;
    await out.write(json ? '[' : toCsv([[...csv.header, ...added]], escape));
    if (errors) await errors.write(toCsv([[...PROBLEM_COLUMNS]], escape));

    const buffer = new ByteBuilder();
    let problemRows: string[][] = [];
    const flush = async () => {
      await out.write(buffer.take());
      if (errors && problemRows.length > 0) await errors.write(toCsv(problemRows, escape));
      problemRows = [];
    };

    // Fast path: a UTF-8 comma file is copied row by row as written, with the scores appended.
    const copyRaw = !json && csv.fast === true && csv.dialect.delimiter === ',';
    const mustRewrite = (r: FastRecord): boolean => {
      if (!escape || !r.formulaLike) return false;
      for (let i = 0; i < r.count; i++) if (r.startsLikeFormula(i) && escapeFormula(r.text(i)) !== r.text(i)) return true;
      return false;
    };
    const scratch = plans.map(newItemValues);
    const scores: InstrumentScore[] = plans.map(newInstrumentScore);
    for await (const batch of csv.batches) {
      for (let j = 0; j < batch.length; j++) {
        const record = batch.at(j);
        for (let k = 0; k < plans.length; k++) {
          const s = scoreItems(plans[k]!, readItems(plans[k]!, record, scratch[k]), scores[k]);
          const tally = summary.instruments[k]!;
          tally.counts[s.status]++;
          if (s.problems.length > 0) {
            tally.problems += s.problems.length;
            summary.problems += s.problems.length;
            problemRows.push(...renderProblemRows(record.line, instruments[k]!.id, s.problems));
          }
        }
        if (json) {
          const obj = renderScoreJson(csv.header, record.fields, instruments, scores, opts.digits);
          buffer.text(`${summary.rows === 0 ? '\n' : ',\n'}${JSON.stringify(obj)}`);
        } else if (copyRaw && record instanceof FastRecord && !mustRewrite(record)) {
          buffer.bytes(record.buf, record.start, record.end);
          let line = '';
          for (const s of scores) {
            for (const v of s.scales) line += v === null ? ',' : `,${formatNumber(v, opts.digits)}`;
            line += `,${s.answered},${s.status},`;
            if (s.problems.length > 0) line += csvField(renderProblemsCell(s.problems), escape);
          }
          buffer.ascii(`${line}\n`);
        } else {
          buffer.text(toCsv([[...record.fields, ...scores.flatMap((s) => renderScoreFields(s, opts.digits))]], escape));
        }
        summary.rows++;
      }
      await flush();
    }
    await flush();
    if (json) await out.write('\n]\n');
    for (const s of sinks) await s.commit();
    return summary;
  } catch (err) {
    await abortAll();
    throw err;
  }
}
