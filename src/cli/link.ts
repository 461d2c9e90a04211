/** `rapport link`: does a session's alliance predict the next session's outcome, within and between clients? */
import type { Command } from 'commander';
import { usageError } from '../errors.js';
import { loadInstruments } from '../instrument/catalogue.js';
import { writeAll } from '../output/sink.js';
import type { CliContext, RunState } from './context.js';
import { addDateOptions, addPresetOptions, addReadOptions, parseDigits, parsePresetOptions, parseReadOptions, type PresetOptionValues, parseDateOptions, readColumnMap, type ReadOptionValues, warnProvisional } from './options.js';
import { inputPath } from './context.js';

interface LinkOptions extends ReadOptionValues, PresetOptionValues {
  predictor?: string;
  outcome?: string;
  predictorColumn?: string;
  outcomeColumn?: string;
  detrend?: boolean;
  therapist?: string | boolean;
  client?: string;
  session?: string;
  date?: string;
  sessionOrder?: string;
  dateFormat?: string;
  map?: string;
  output?: string;
  format: string;
  digits?: string;
}

const HELP = `
Long data: one row per administration, both measures on the same rows. For each client's
consecutive sessions s, s+1 (a skipped session number breaks a pair) it fits, by REML,
  Y(s+1) ~ P_within(s) + P_between + Y(s) + s + (1 | client)
where P_between is the client's mean of the predictor and P_within(s) its deviation from it
(--detrend: from the client's own linear trend). --therapist adds (1 | therapist). Writes the
coefficient table (term, estimate, se, t) as CSV, Markdown with the variance components and a
sentence to quote, or JSON with everything.

Examples:
  $ rapport link fixtures/sample/sessions.csv --predictor wai-sr --outcome ors
  $ rapport link data.csv --predictor wai-s/bond --outcome ors --detrend --therapist --format md -o link.md
  $ rapport link scored.csv --predictor-column alliance --outcome-column bdi --format json`;

/** "wai-sr" or "wai-sr/bond" or "./def.json/total": the instrument and the scale. */
function splitMeasure(text: string): { id: string; scale?: string } {
  const m = /^(.*?\.json|[^/]+)(?:\/([a-z][a-z0-9_]*))?$/.exec(text);
  if (!m) throw usageError('BAD_MEASURE', `"${text}" is not an instrument id or file, with an optional /scale`);
  return { id: m[1]!, ...(m[2] ? { scale: m[2] } : {}) };
}

export function registerLinkCommand(program: Command, ctx: CliContext, state: RunState): void {
  void state;
  const cmd = program
    .command('link')
    .description('Alliance → next-session outcome, within and between clients (a mixed model, as lme4).')
    .argument('[file]', 'long-format CSV (one row per administration), or - for standard input (the default when data are piped in)')
    .option('--predictor <id[/scale]>', 'the predictor measure P, scored from its items (default scale: total)')
    .option('--outcome <id[/scale]>', 'the outcome measure Y, scored from its items (default scale: total)')
    .option('--predictor-column <col>', 'or take P from an already scored column')
    .option('--outcome-column <col>', 'or take Y from an already scored column')
    .option('--detrend', 'P_within from each client\'s own linear trend of P, not its mean (Falkenström et al., 2017)')
    .option('--therapist [col]', 'add a random intercept per therapist (the column: therapist_id by default)')
    .option('--client <col>', 'client id column (default: client_id, or the preset\'s)')
    .option('--session <col>', 'session number column, whole numbers (default: session, or the preset\'s)')
    .option('--map <map.json>', 'column map, as for score')
    .option('-o, --output <file>', 'where to write (- for standard output, the default)')
    .option('--format <format>', 'csv, md or json', 'csv')
    .option('--digits <n>', 'round numbers in CSV output to n decimals')
    .addHelpText('after', HELP);
  addDateOptions(cmd);
  addPresetOptions(cmd);
  addReadOptions(cmd);
  cmd.action(async (fileArg: string | undefined, opts: LinkOptions) => {
    const file = inputPath(ctx, fileArg);
    const { runLinkJob } = await import('../pipeline/link.js');
    const { renderLinkCsv, renderLinkJson, linkSentence, linkFormula, linkRows } = await import('../report/link.js');
    const { renderMarkdownDocument } = await import('../report/document.js');
    if (!['csv', 'md', 'json'].includes(opts.format)) throw usageError('BAD_FORMAT', `--format must be csv, md or json, not "${opts.format}"`);
    const measure = async (item: string | undefined, column: string | undefined, what: string) => {
      if ((item === undefined) === (column === undefined)) throw usageError('LINK_MEASURE_REQUIRED', `give the ${what} as --${what} <instrument> or --${what}-column <col>`);
      if (column !== undefined) return { column };
      const { id, scale } = splitMeasure(item!);
      const [instrument] = await loadInstruments(id);
      warnProvisional(ctx, [instrument!]);
      return { instrument: instrument!, ...(scale ? { scale } : {}) };
    };
    const predictor = await measure(opts.predictor, opts.predictorColumn, 'predictor');
    const outcome = await measure(opts.outcome, opts.outcomeColumn, 'outcome');
    const instruments = [predictor, outcome].flatMap((m) => ('instrument' in m ? [m.instrument] : []));
    const map = opts.map === undefined ? undefined : await readColumnMap(opts.map, instruments.filter((l, i) => instruments.findIndex((x) => x.instrument.id === l.instrument.id) === i));
    const presets = await parsePresetOptions(opts);
    const digits = parseDigits(opts.digits);
    const run = await runLinkJob(
      {
        input: file, predictor, outcome, detrend: opts.detrend === true, therapistEffect: opts.therapist !== undefined,
        ...(typeof opts.therapist === 'string' ? { therapist: opts.therapist } : {}),
        ...(opts.client === undefined ? {} : { client: opts.client }),
        ...(opts.session === undefined ? {} : { session: opts.session }),
        ...parseDateOptions(opts),
        ...presets, ...(map ? { map } : {}), read: parseReadOptions(opts),
        outputs: [{ option: '-o', path: opts.output ?? '-' }],
      },
      ctx.stdin,
    );
    if ('failure' in run.result) throw usageError('LINK_NOT_FITTED', `the model cannot be fitted: ${run.result.failure}`, 'it needs both measures at consecutive sessions of several clients');
    const view = { predictor: run.predictor, outcome: run.outcome, result: run.result };
    const f = run.result.fit;
    const text = opts.format === 'json'
      ? renderLinkJson(view, run.input)
      : opts.format === 'md'
        ? renderMarkdownDocument([
            { kind: 'heading', level: 1, text: `${run.predictor} → next-session ${run.outcome}, within and between clients` },
            { kind: 'paragraph', text: `Model: ${linkFormula(view)}. Input: ${run.input}.` },
            { kind: 'table', head: ['Term', 'Estimate', 'SE', 't'], align: ['l', 'r', 'r', 'r'], rows: linkRows(view).map((r) => [String(r.term), (r.estimate as number).toFixed(4), (r.se as number).toFixed(4), (r.t as number).toFixed(2)]) },
            { kind: 'paragraph', text: `Variance components: client ${f.cov1[0]![0]!.toFixed(4)}${run.result.therapists !== null ? `, therapist ${f.var2.toFixed(4)}` : ''}, residual ${f.sigma2.toFixed(4)}. ${run.result.clients} clients${run.result.therapists !== null ? `, ${run.result.therapists} therapists` : ''}, ${run.result.pairs} session pairs.` },
            ...(f.singular ? [{ kind: 'warning' as const, text: 'The fit is singular (a variance component is estimated at 0): the model is simpler than written; the fixed effects are still those of the fit.' }] : []),
            { kind: 'paragraph', text: linkSentence(view) },
          ])
        : renderLinkCsv(view, digits, opts.escapeFormulas !== false);
    await writeAll([[opts.output, text, '-o']], ctx.stdout);
    ctx.say(`${ctx.color.bold('rapport link')}: ${run.rows} rows, ${run.result.clients} clients, ${run.result.pairs} session pairs`);
    ctx.say(`  ${linkSentence(view)}`);
    if (f.singular) ctx.warn('singular fit: a variance component is estimated at 0 (as lme4 would say, "boundary (singular) fit")');
    if (!f.converged) ctx.warn('the REML fit did not converge; treat the estimates with caution');
  });
}
