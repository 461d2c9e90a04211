/** `rapport report`: the main job — every table, the figures and a readable report in one folder. */
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { inputError, usageError } from '../errors.js';
import type { CliContext, RunState } from './context.js';
import { VERSION } from '../version.js';
import { addPresetOptions, addReadOptions, addReliabilityOptions, addTrajectoryOptions, parsePresetOptions, parseReadOptions, parseReliabilityOptions, parseTrajectoryOptions, type PresetOptionValues, type ReadOptionValues, type ReliabilityOptionValues, type TrajectoryOptionValues, parseDigits, readColumnMap, readExpectedModels, warnProvisional } from './options.js';
import { inputPath } from './context.js';
import { chooseInstruments } from '../pipeline/detect.js';
import { sayAttention, saveExpected } from './monitoring.js';
import { createProgress } from './progress.js';

interface ReportOptions extends TrajectoryOptionValues, ReliabilityOptionValues, ReadOptionValues, PresetOptionValues {
  instruments?: string;
  output: string;
  map?: string;
  pseudonymize?: boolean;
  salt?: string;
  saltFile?: string;
  scale?: string;
  digits?: string;
  strict?: boolean;
  byTherapist?: boolean;
  twoLevel?: boolean;
}

const HELP = `
Writes into <dir>: report.html (self-contained: opens offline) and report.md, which open with the
clients who need attention and why, then each one's chart; attention.csv, scores.csv,
reliability.csv, items.csv, trajectories.csv, events.csv, therapists.csv, cohort.json,
problems.csv (when there are problems), figures/ and, with --by-therapist, therapists/<id>.html
and .md. The folder is built aside and moved into place at the end, so a failed run leaves no half
report; an existing folder is replaced only if it holds an earlier rapport report. Reads the data
once. The report says when it was made (set SOURCE_DATE_EPOCH for a fixed time).

Examples:
  $ rapport report fixtures/sample/sessions.csv -i wai-sr,ors -o rapport-report
  $ rapport report export.csv -i srs,ors -o weekly --pseudonymize --salt-file rapport.salt
  $ rapport report data.csv -i wai-s -o out --boot 1000 --seed 7 --rupture-method stiles
  $ rapport report week.csv -i wai-sr,phq-9 -o week --expected last-year.json --inactive-days 28 --by-therapist`;

/** When the report is made, to the second (UTC); SOURCE_DATE_EPOCH (seconds) fixes it, for reproducible builds. */
function generatedAt(): string {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  const when = epoch !== undefined && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date();
  return `${when.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Shorter secrets can be found by trying: 16 characters of a random hex string are 64 bits. */
export const MIN_SALT_LENGTH = 16;

const SALT_HINT = `make one once and keep it secret, e.g. \`openssl rand -hex 32 > rapport.salt\`, then use --salt-file rapport.salt every week (the same salt gives the same codes)`;

/**
 * The secret for --pseudonymize: required (an empty key lets anyone recompute the codes by hashing
 * guessable ids such as C0001), from --salt or --salt-file, at least MIN_SALT_LENGTH characters.
 */
async function readSalt(opts: ReportOptions): Promise<string | undefined> {
  if (opts.salt !== undefined && opts.saltFile !== undefined) throw usageError('SALT_TWICE', 'give --salt or --salt-file, not both');
  if ((opts.salt !== undefined || opts.saltFile !== undefined) && !opts.pseudonymize) throw usageError('SALT_WITHOUT_PSEUDONYMIZE', '--salt and --salt-file only make sense with --pseudonymize');
  if (!opts.pseudonymize) return undefined;
  let salt = opts.salt;
  if (opts.saltFile !== undefined) {
    try {
      salt = (await readFile(opts.saltFile, 'utf8')).replace(/\r?\n$/, '');
    } catch {
      throw inputError('SALT_FILE_UNREADABLE', `cannot read the salt file ${opts.saltFile}`, { location: { file: opts.saltFile }, hint: SALT_HINT });
    }
  }
  if (salt === undefined) throw usageError('SALT_REQUIRED', '--pseudonymize needs a secret salt (--salt-file or --salt): without one, anyone can turn guessable ids back into codes and so undo the pseudonyms', SALT_HINT);
  if (salt.trim().length < MIN_SALT_LENGTH) throw usageError('SALT_TOO_SHORT', `the salt has ${salt.trim().length} characters; --pseudonymize needs at least ${MIN_SALT_LENGTH}, or the codes can be undone by trying salts`, SALT_HINT);
  return salt;
}

export function registerReportCommand(program: Command, ctx: CliContext, state: RunState): void {
  const cmd = program
    .command('report')
    .description('The main job: score, reliability and trajectories, with figures, in one report folder (Markdown, HTML and CSV).')
    .argument('[file]', 'response CSV (long format), or - for standard input (the default when data are piped in)')
    .option('-i, --instruments <ids>', 'instrument ids or definition files, comma-separated (default: the bundled instrument whose item columns the file has)')
    .requiredOption('-o, --output <dir>', 'the report folder')
    .option('--map <map.json>', 'column map, as for score')
    .option('--pseudonymize', 'replace client and therapist ids by stable codes in every output')
    .option('--salt <s>', 'secret for --pseudonymize, at least 16 characters (the same salt gives the same codes on every run)')
    .option('--salt-file <file>', 'read the secret for --pseudonymize from a file (safer than --salt: not shown by ps or kept in shell history)')
    .option('--scale <id>', 'trajectories: the scale to follow (default: total)')
    .option('--digits <n>', 'round numbers in the CSV tables')
    .option('--strict', 'exit 1 when any data problem was found (the report is still written)')
    .option('--by-therapist', 'also write one page per therapist with only their clients (therapists/<id>.html and .md)')
    .option('--no-two-level', 'leave out the within/between-client reliability (two-level models; on 1M rows × 36 items they take ~4 s)')
    .addHelpText('after', HELP);
  addReliabilityOptions(cmd, 'reliability: ');
  addTrajectoryOptions(cmd, ' (one instrument only)');
  addPresetOptions(cmd);
  addReadOptions(cmd);
  cmd.action(async (fileArg: string | undefined, opts: ReportOptions) => {
    const file = inputPath(ctx, fileArg);
      const { runReportJob } = await import('../pipeline/report.js');
      const { apa } = await import('../report/reliability.js');
      const salt = await readSalt(opts);
      const { missing, boot, seed } = parseReliabilityOptions(opts);
      const trajectory = parseTrajectoryOptions(opts);
      const presets = await parsePresetOptions(opts);
      const digits = parseDigits(opts.digits);
      const chosen = await chooseInstruments(opts.instruments, file, ctx.stdin, parseReadOptions(opts), 'report');
      if (chosen.detected) ctx.say(chosen.detected);
      const instruments = chosen.instruments;
      const map = opts.map === undefined ? undefined : await readColumnMap(opts.map, instruments);
      const expected = opts.expected === undefined ? undefined : await readExpectedModels(opts.expected);
      warnProvisional(ctx, instruments);
      let total = 0;
      if (file !== '-') total = await stat(file).then((s) => s.size, () => 0);
      const progress = createProgress(ctx, total);
      let result;
      try {
        result = await runReportJob(
          {
            input: file, instruments, map, outDir: opts.output, ...trajectory, ...presets, read: parseReadOptions(opts), escapeFormulas: opts.escapeFormulas !== false,
            pseudonymize: opts.pseudonymize === true, salt: salt ?? '', missing, boot, seed, scale: opts.scale,
            digits, version: VERSION, byTherapist: opts.byTherapist === true, twoLevel: opts.twoLevel !== false, generatedAt: generatedAt(),
            ...(expected ? { expected } : {}),
            ...(opts.saveExpected === undefined ? {} : { saveExpected: opts.saveExpected }),
            onPhase: (p) => progress.phase(p),
            onProgress: (b) => progress.update(b, total),
          },
          { stdin: chosen.stdin, stdout: ctx.stdout },
        );
      } finally {
        progress.finish();
      }

      const c = ctx.color;
      const first = result.measures.find((m) => m.report)?.report?.result.cohort;
      ctx.say(`${c.bold('rapport report')}: ${result.rows} rows${first ? `, ${first.nClients} clients, ${first.nTherapists} therapists` : ''}`);
      for (const s of result.reliability.scales) {
        const a = s.result.alpha;
        ctx.say(`  ${s.instrument.id}/${s.scaleId}: α ${apa(a.raw)} [${apa(a.feldt[0])}, ${apa(a.feldt[1])}], ω ${apa(s.result.omega.omega)}`);
      }
      for (const m of result.measures) {
        if (m.skipped) ctx.warn(`trajectories of ${m.instrument.id}: ${m.skipped}`);
        for (const w of m.report?.result.warnings ?? []) ctx.warn(`${m.instrument.id}/${m.scaleId}: ${w}`);
      }
      sayAttention(ctx, result.attention, result.clients);
      if (opts.saveExpected !== undefined) await saveExpected(ctx, opts.saveExpected, result.measures.flatMap((m) => (m.report ? [m.report] : [])), file);
      if (result.problems.length > 0) ctx.say(`  ${c.yellow(`${result.problems.length} problem(s)`)} listed in ${opts.output}/problems.csv`);
      ctx.say(`  report: ${c.underline(`${opts.output}/report.html`)} and ${opts.output}/report.md`);
      if (opts.strict && result.problems.length > 0) state.exitCode = 1;
    });
}
