/** `rapport score`: options -> the streaming score job -> a summary on stderr and an exit code. */
import type { Command } from 'commander';
import { EXIT, usageError } from '../errors.js';
import type { Dialect, SkippedRow } from '../input/table.js';
import { runScoreJob, type ScoreSummary } from '../pipeline/score.js';
import type { CliContext, RunState } from './context.js';
import { addReadOptions, parseDigits, parseReadOptions, readColumnMap, type ReadOptionValues, warnProvisional } from './options.js';
import { inputPath } from './context.js';
import { chooseInstruments } from '../pipeline/detect.js';

interface ScoreOptions extends ReadOptionValues {
  instruments?: string;
  output?: string;
  map?: string;
  errors?: string;
  strict?: boolean;
  digits?: string;
  format: string;
}

export const SCORE_HELP = `
Streams: reads one row at a time and writes as it goes, so memory does not grow with the file.
Output: every input column unchanged and in order, then for each instrument <id>_<scale> for every
scale, <id>_answered, <id>_status (ok, prorated, incomplete, invalid) and <id>_problems, where <id>
is the instrument id with '-' turned into '_' (wai-sr -> wai_sr_task). One output row per input row.

Examples:
  $ rapport score fixtures/sample/sessions.csv -i wai-sr,ors -o scores.csv --errors problems.csv
  $ rapport score export.csv -i ./my-scale.json --map columns.json --digits 2
  $ cat export.csv | rapport score - -i srs --format json | jq '.[0]'`;

/** " (semicolon-separated, windows-1252, decimal commas; 2 Qualtrics header rows skipped)" — only what is not plain CSV. */
export function describeInput(d: Dialect, skipped: readonly SkippedRow[]): string {
  const parts: string[] = [];
  const names: Record<string, string> = { ';': 'semicolon-separated', '\t': 'tab-separated', '|': 'pipe-separated' };
  if (d.format === 'xlsx') parts.push('xlsx workbook');
  else if (d.format === 'sav') parts.push(`SPSS file, ${d.encoding}`);
  else {
    if (names[d.delimiter]) parts.push(names[d.delimiter]!);
    if (d.encoding !== 'utf-8') parts.push(d.encoding);
  }
  if (d.decimalComma) parts.push('decimal commas');
  const extra = skipped.length > 0 ? `${skipped.length} Qualtrics header row${skipped.length === 1 ? '' : 's'} skipped (line${skipped.length === 1 ? '' : 's'} ${skipped.map((x) => x.line).join(', ')})` : '';
  const w = d.wide;
  const wide = w
    ? `wide '${w.pattern}': ${w.rows} row${w.rows === 1 ? '' : 's'} gave ${w.administrations} administration${w.administrations === 1 ? '' : 's'}${w.emptyRows > 0 ? `; ${w.emptyRows} row${w.emptyRows === 1 ? '' : 's'} with no answer in any session gave none (line${w.emptyRows === 1 ? '' : 's'} ${w.emptyLines.join(', ')}${w.emptyRows > w.emptyLines.length ? ', …' : ''})` : ''}`
    : '';
  const all = [parts.join(', '), extra, wide].filter((x) => x !== '').join('; ');
  return all ? ` (${all})` : '';
}

function renderSummary(ctx: CliContext, s: ScoreSummary, errorsPath: string | undefined): void {
  const c = ctx.color;
  ctx.say(`${c.bold('rapport score')}: ${s.rows} ${s.dialect.wide ? 'administration' : 'row'}${s.rows === 1 ? '' : 's'} read from ${s.input}${describeInput(s.dialect, s.skipped)}`);
  const width = Math.max(...s.instruments.map((i) => i.id.length));
  for (const i of s.instruments) {
    const { ok, prorated, incomplete, invalid } = i.counts;
    ctx.say(
      `  ${i.id.padEnd(width)}  ${ok + prorated} scored (${ok} complete, ${prorated} prorated) · ${incomplete} incomplete · ${invalid > 0 ? c.yellow(`${invalid} invalid`) : '0 invalid'}`,
    );
  }
  if (s.problems > 0) {
    ctx.say(`  ${c.yellow(`${s.problems} problem${s.problems === 1 ? '' : 's'}`)}: ${errorsPath === '-' ? 'listed on standard output' : errorsPath ? `listed in ${errorsPath}` : 'see the *_problems columns, or list them with --errors FILE'}`);
  }
}

export function registerScoreCommand(program: Command, ctx: CliContext, state: RunState): void {
  const cmd = program
    .command('score')
    .description('Score a response CSV: scale scores, answered counts, a status and the problems of every row.')
    .argument('[file]', 'response CSV, or - for standard input (the default when data are piped in)')
    .option('-i, --instruments <ids>', 'instrument ids or definition files, comma-separated (e.g. wai-sr,ors or ./mine.json) (default: the bundled instrument whose item columns the file has)')
    .option('-o, --output <file>', 'where to write the scored rows (- for standard output, the default)')
    .option('--map <map.json>', 'column map { "<instrument>": { "<item id>": "<column>" } } when the file\'s columns differ')
    .option('--errors <file>', 'write one CSV row per problem: line, column, value, code, message, instrument, item (- for standard output)')
    .option('--strict', 'exit 1 when any problem was found (the output is still written)')
    .option('--digits <n>', 'round scores to n decimals (default: full precision)')
    .option('--format <format>', 'csv or json', 'csv')
    .addHelpText('after', SCORE_HELP);
  addReadOptions(cmd);
  cmd.action(async (fileArg: string | undefined, opts: ScoreOptions) => {
    const file = inputPath(ctx, fileArg);
      if (opts.format !== 'csv' && opts.format !== 'json') throw usageError('BAD_FORMAT', `--format must be csv or json, not "${opts.format}"`);
      const digits = parseDigits(opts.digits);
      if (opts.instruments !== undefined && opts.instruments.split(',').every((s) => s.trim() === '')) throw usageError('NO_INSTRUMENT', '-i needs at least one instrument id or file');
      const chosen = await chooseInstruments(opts.instruments, file, ctx.stdin, parseReadOptions(opts), 'score');
      if (chosen.detected) ctx.say(chosen.detected);
      const instruments = chosen.instruments;
      const map = opts.map === undefined ? undefined : await readColumnMap(opts.map, instruments);
      warnProvisional(ctx, instruments);
      const summary = await runScoreJob(
        { input: file, instruments, map, output: opts.output, errors: opts.errors, format: opts.format, digits, read: parseReadOptions(opts), escapeFormulas: opts.escapeFormulas !== false },
        { stdin: chosen.stdin, stdout: ctx.stdout },
      );
      renderSummary(ctx, summary, opts.errors);
      if (opts.strict && summary.problems > 0) state.exitCode = EXIT.dataProblems;
    });
}
