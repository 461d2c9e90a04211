/** `rapport reliability`: options -> the reliability job -> tables on stdout/-o, warnings on stderr. */
import type { Command } from 'commander';
import { usageError } from '../errors.js';
import { writeAll } from '../output/sink.js';
import { PROBLEM_COLUMNS } from '../report/score-rows.js';
import { apa, itemColumns, itemRecords, renderRecordsCsv, renderReliabilityJson, renderReliabilityMarkdown, scaleColumns, scaleRecord } from '../report/reliability.js';
import type { CliContext, RunState } from './context.js';
import { addReadOptions, addReliabilityOptions, parseReadOptions, parseReliabilityOptions, type ReadOptionValues, type ReliabilityOptionValues , parseDigits, readColumnMap, warnProvisional } from './options.js';
import { inputPath } from './context.js';
import { chooseInstruments } from '../pipeline/detect.js';

interface ReliabilityOptions extends ReliabilityOptionValues, ReadOptionValues {
  instruments?: string;
  scale?: string;
  by?: string;
  client?: string | false;
  format: string;
  output?: string;
  itemsOut?: string;
  map?: string;
  errors?: string;
  digits?: string;
}

const HELP = `
Cost: one pass over the file; the item values are kept in memory (8 bytes per item per row), since
pairwise covariances, item-total correlations and the bootstrap need the rows. --boot N refits
alpha and omega N times per scale.

Per scale: ${scaleColumns().join(', ')}.
Per item (--items-out, and inside JSON): ${itemColumns().join(', ')}.
Alpha and item statistics as psych::alpha (psych 2.2.9); omega total from a one-factor ML model on
the complete cases, as lavaan::cfa(std.lv = TRUE). Items are reverse-keyed (min + max - x) first.

Examples:
  $ rapport reliability fixtures/sample/sessions.csv -i wai-sr --format md -o reliability.md
  $ rapport reliability data.csv -i wai-s --scale total --boot 1000 --seed 42 --items-out items.csv
  $ rapport reliability fixtures/sample/sessions.csv -i wai-sr --by session --format json`;

export function registerReliabilityCommand(program: Command, ctx: CliContext, state: RunState): void {
  void state;
  const cmd = program
    .command('reliability')
    .description('Reliability per scale: alpha (with Feldt, Duhachek and bootstrap intervals), omega total, G6 and item statistics.')
    .argument('[file]', 'response CSV, or - for standard input (the default when data are piped in)')
    .option('-i, --instruments <ids>', 'instrument ids or definition files, comma-separated (default: the bundled instrument whose item columns the file has)')
    .option('--scale <id>', 'only this scale (default: every scale)')
    .option('--by <column>', 'the same table for each value of a column (e.g. session, site)')
    .option('--client <column>', 'rows are nested in this column\'s clients: adds within/between coefficients, and --boot resamples clients (default: client_id when the file has it, without --by)')
    .option('--no-client', 'treat rows as independent (no two-level fits: on 1M rows × 36 items they take ~20 s)')
    .option('--format <format>', 'csv, json or md', 'csv')
    .option('-o, --output <file>', 'where to write the scale table (- for standard output, the default)')
    .option('--items-out <file>', 'write the item statistics as CSV (- for standard output)')
    .option('--map <map.json>', 'column map, as for score')
    .option('--errors <file>', 'write the response problems found, as for score (- for standard output)')
    .option('--digits <n>', 'round numbers in CSV output to n decimals')
    .addHelpText('after', HELP);
  addReliabilityOptions(cmd);
  addReadOptions(cmd);
  cmd.action(async (fileArg: string | undefined, opts: ReliabilityOptions) => {
    const file = inputPath(ctx, fileArg);
      const { runReliabilityJob } = await import('../pipeline/reliability.js');
      const { toCsv } = await import('../report/csv.js');
      if (!['csv', 'json', 'md'].includes(opts.format)) throw usageError('BAD_FORMAT', `--format must be csv, json or md, not "${opts.format}"`);
      const { missing, boot, seed, seedGiven } = parseReliabilityOptions(opts);
      const digits = parseDigits(opts.digits);
      const escape = opts.escapeFormulas !== false;
      const chosen = await chooseInstruments(opts.instruments, file, ctx.stdin, parseReadOptions(opts), 'reliability');
      if (chosen.detected) ctx.say(chosen.detected);
      const instruments = chosen.instruments;
      const map = opts.map === undefined ? undefined : await readColumnMap(opts.map, instruments);
      warnProvisional(ctx, instruments);
      const outputs = [
        { option: '-o', path: opts.output ?? '-' },
        { option: '--items-out', path: opts.itemsOut },
        { option: '--errors', path: opts.errors },
      ];
      const report = await runReliabilityJob(
        { input: file, instruments, map, scale: opts.scale, missing, boot, seed, by: opts.by, ...(opts.client === undefined ? {} : { client: opts.client }), outputs, read: parseReadOptions(opts) },
        chosen.stdin,
      );

      const main = opts.format === 'json'
        ? renderReliabilityJson(report, missing)
        : opts.format === 'md'
          ? renderReliabilityMarkdown(report, missing)
          : renderRecordsCsv(report.scales.map((s) => scaleRecord(s, report.by)), scaleColumns(report.by), digits, escape);
      const writes: Array<[string | undefined, string | Uint8Array, string]> = [[opts.output, main, '-o']];
      if (opts.itemsOut) writes.push([opts.itemsOut, renderRecordsCsv(report.scales.flatMap((s) => itemRecords(s, report.by)), itemColumns(report.by), digits, escape), '--items-out']);
      if (opts.errors) {
        writes.push([opts.errors, toCsv([[...PROBLEM_COLUMNS], ...report.problems.map(({ line, instrument, problem: p }) => [String(line), p.column, p.value, p.code, p.message, instrument, p.itemId])], escape), '--errors']);
      }
      await writeAll(writes, ctx.stdout);

      const c = ctx.color;
      ctx.say(`${c.bold('rapport reliability')}: ${report.rows} rows read from ${report.input} (${missing})`);
      for (const s of report.scales) {
        const a = s.result.alpha;
        const label = `${s.instrument.id}/${s.scaleId}${s.group !== undefined ? ` [${report.by}=${s.group}]` : ''}`;
        const ml = s.result.multilevel;
        const levels = ml && ml.rows > ml.clients ? `; ${ml.clients} clients: α within ${apa(ml.alphaWithin)}, between ${apa(ml.alphaBetween)}` : '';
        ctx.say(`  ${label}: n=${a.n} k=${a.k} α=${apa(a.raw)} [${apa(a.feldt[0])}, ${apa(a.feldt[1])}] ω=${apa(s.result.omega.omega)}${levels}`);
        for (const w of s.result.warnings) ctx.warn(`${label}: ${w.message}`);
      }
      if (boot !== undefined && boot > 0) ctx.say(`  bootstrap: ${boot} resamples, seed ${seed}${seedGiven ? '' : ` (repeat with --seed ${seed})`}`);
      if (report.problemCount > 0) ctx.warn(`${report.problemCount} invalid answer(s) were treated as missing${opts.errors ? `; listed in ${opts.errors}` : '; list them with --errors FILE'}`);
    });
}
