/** `rapport trajectories`: per-client change, sudden gains/losses, ruptures/repairs, therapist effects. */
import { join } from 'node:path';
import type { Command } from 'commander';
import { usageError } from '../errors.js';
import { openOwnedFolder } from '../output/folder.js';
import { writeAll } from '../output/sink.js';
import type { CliContext, RunState } from './context.js';
import { addPresetOptions, addReadOptions, addTrajectoryOptions, parsePresetOptions, parseReadOptions, parseTrajectoryOptions, type PresetOptionValues, type ReadOptionValues, type TrajectoryOptionValues, parseDigits, readColumnMap, readExpectedModels, warnProvisional } from './options.js';
import { inputPath } from './context.js';
import { chooseInstruments } from '../pipeline/detect.js';
import { sayAttention, saveExpected } from './monitoring.js';
import { VERSION } from '../version.js';

interface TrajectoryOptions extends TrajectoryOptionValues, ReadOptionValues, PresetOptionValues {
  instruments?: string;
  scale?: string;
  scoreColumn?: string;
  higherIsBetter?: boolean;
  lowerIsBetter?: boolean;
  ruptures?: boolean;
  outcome?: boolean;
  map?: string;
  output?: string;
  format: string;
  digits?: string;
}

const HELP = `
Long data: one row per administration. Two rows for the same client and session are both left out
of that client's series and reported. Writes attention.csv (the clients who need a closer look, and
why), trajectories.csv, events.csv, therapists.csv, cohort.json (and problems.csv when there are
problems) into the folder -o <dir>, which is built
aside and put in place whole (an existing folder is replaced only if an earlier rapport run wrote
it); --format json writes everything as one document to -o <file>, or to standard output (-o -,
the default). Keeps the administrations in memory.

Examples:
  $ rapport trajectories fixtures/sample/sessions.csv -i wai-sr -o out/alliance
  $ rapport trajectories fixtures/sample/sessions.csv -i ors -o out/outcome --save-expected ors-model.json
  $ rapport trajectories this-week.csv -i ors -o out/week --expected ors-model.json --inactive-days 28
  $ rapport trajectories scored.csv --score-column bdi --lower-is-better --client id --reliability .9 --format json -o -`;

export function registerTrajectoriesCommand(program: Command, ctx: CliContext, state: RunState): void {
  void state;
  const cmd = program
    .command('trajectories')
    .description('Per-client trajectories: reliable change, sudden gains and losses, alliance ruptures and repairs, therapist effects.')
    .argument('[file]', 'long-format CSV (one row per administration), or - for standard input (the default when data are piped in)')
    .option('-i, --instruments <id|path>', 'score this instrument from its items (one instrument; default: the bundled one whose item columns the file has)')
    .option('--scale <id>', 'the scale to follow (default: total, or the only scale)')
    .option('--score-column <col>', 'use an already scored column instead of -i')
    .option('--higher-is-better', 'with --score-column: higher scores are better')
    .option('--lower-is-better', 'with --score-column: lower scores are better')
    .option('--ruptures', 'with --score-column: the column is an alliance measure, so look for ruptures and repairs (with -i, the definition\'s construct decides)')
    .option('--outcome', 'with --score-column: the column is an outcome measure, so fit the expected treatment response (with -i, the definition\'s construct decides)')
    .option('--map <map.json>', 'column map for -i, as for score')
    .option('-o, --output <dir|file>', 'csv: the folder for the output files (created; replaced only if an earlier run wrote it); json: the file, - (default) for standard output')
    .option('--format <format>', 'csv (files in -o) or json (standard output)', 'csv')
    .option('--digits <n>', 'round numbers in CSV output to n decimals')
    .addHelpText('after', HELP);
  addTrajectoryOptions(cmd);
  addPresetOptions(cmd);
  addReadOptions(cmd);
  cmd.action(async (fileArg: string | undefined, opts: TrajectoryOptions) => {
    const file = inputPath(ctx, fileArg);
      const { runTrajectoryJob } = await import('../pipeline/trajectories.js');
      const { renderTrajectoryFiles, renderTrajectoryJson } = await import('../report/trajectories.js');
      const { LEGACY_TRAJECTORIES } = await import('../pipeline/trajectories.js');
      if (opts.format !== 'csv' && opts.format !== 'json') throw usageError('BAD_FORMAT', `--format must be csv or json, not "${opts.format}"`);
      if (opts.instruments !== undefined && opts.scoreColumn !== undefined) throw usageError('MEASURE_REQUIRED', 'give either -i <instrument> or --score-column <col>, not both');
      if (opts.scoreColumn !== undefined && opts.higherIsBetter === opts.lowerIsBetter) throw usageError('DIRECTION_REQUIRED', 'with --score-column, say --higher-is-better or --lower-is-better');
      if (opts.scoreColumn === undefined && opts.outcome) throw usageError('OUTCOME_FROM_INSTRUMENT', 'with -i, the expected treatment response is fitted when the instrument is an outcome measure ("construct": "outcome" in its definition); --outcome is for --score-column');
      if (opts.scoreColumn === undefined && opts.ruptures) throw usageError('RUPTURES_FROM_INSTRUMENT', 'with -i, ruptures are looked for when the instrument is an alliance measure ("construct": "alliance" in its definition); --ruptures is for --score-column');
      if (opts.scoreColumn === undefined && (opts.higherIsBetter || opts.lowerIsBetter)) throw usageError('DIRECTION_FROM_INSTRUMENT', 'with -i, the direction comes from the instrument definition (higherIsBetter)');
      if (opts.format === 'csv' && opts.output === undefined) throw usageError('OUTPUT_REQUIRED', 'trajectories writes several files: give -o <dir>, or --format json for standard output');
      if (opts.format === 'csv' && opts.output === '-') throw usageError('OUTPUT_FOLDER_REQUIRED', 'with --format csv, trajectories writes several files: -o needs a folder, not - (standard output)', 'give a folder, e.g. -o out, or use --format json -o - for one JSON document on standard output');
      const trajectory = parseTrajectoryOptions(opts);
      const presets = await parsePresetOptions(opts);
      const read = parseReadOptions(opts);
      const escape = opts.escapeFormulas !== false;
      const digits = parseDigits(opts.digits);
      let instrument;
      let stdin = ctx.stdin;
      if (opts.scoreColumn === undefined) {
        // -i, or the bundled instrument whose item columns the file has.
        const chosen = await chooseInstruments(opts.instruments, file, ctx.stdin, read, 'trajectories');
        if (chosen.detected) ctx.say(chosen.detected);
        if (chosen.instruments.length !== 1) throw usageError('ONE_INSTRUMENT', 'trajectories follows one instrument at a time: give one id to -i');
        instrument = chosen.instruments[0]!;
        stdin = chosen.stdin;
        warnProvisional(ctx, chosen.instruments);
      }
      const map = opts.map === undefined || !instrument ? undefined : await readColumnMap(opts.map, [instrument]);
      const expected = opts.expected === undefined ? undefined : await readExpectedModels(opts.expected);
      // The folder is claimed before the data are read: a folder rapport may not replace is refused at once.
      const folder = opts.format === 'csv' ? await openOwnedFolder(opts.output!, { command: 'trajectories', version: VERSION, input: file, legacy: LEGACY_TRAJECTORIES }) : undefined;
      const { report, attention } = await runTrajectoryJob(
        {
          input: file,
          instrument,
          scale: opts.scale,
          scoreColumn: opts.scoreColumn,
          higherIsBetter: opts.scoreColumn !== undefined ? opts.higherIsBetter === true : undefined,
          ruptures: opts.ruptures === true,
          outcome: opts.outcome === true,
          ...(expected ? { expected } : {}),
          map,
          ...trajectory,
          ...presets,
          read,
          outputs: [...(opts.format === 'json' ? [{ option: '-o', path: opts.output ?? '-' }] : []), { option: '--save-expected', path: opts.saveExpected }],
        },
        stdin,
      ).catch(async (err: unknown) => {
        await folder?.abort();
        throw err;
      });

      if (folder) {
        try {
          for (const [name, text] of Object.entries(renderTrajectoryFiles(report, attention, digits, escape))) await folder.writeFile(name, text);
          await folder.commit();
        } finally {
          await folder.abort();
        }
      } else await writeAll([[opts.output, renderTrajectoryJson(report, attention), '-o']], ctx.stdout);
      if (opts.saveExpected !== undefined) await saveExpected(ctx, opts.saveExpected, [report], file);

      const c = report.result.cohort;
      const clients = report.result.clients;
      const count = (k: string) => clients.filter((x) => x.reliableChange === k).length;
      ctx.say(`${ctx.color.bold('rapport trajectories')}: ${report.rows} rows, ${c.nClients} clients, ${c.nTherapists} therapists — ${report.measure} (${report.higherIsBetter ? 'higher' : 'lower'} is better)`);
      ctx.say(`  reliable change: ${count('improved')} improved, ${count('deteriorated')} deteriorated, ${count('no_reliable_change')} no reliable change (S_diff ${c.rciSdiff?.toFixed(2) ?? '–'}, r ${c.rciReliability?.toFixed(3) ?? '–'})`);
      const ev = (t: string) => report.result.events.filter((e) => e.type === t).length;
      ctx.say(`  events: ${ev('sudden_gain')} sudden gains, ${ev('sudden_loss')} sudden losses${report.parameters.rupture_method === null ? ' (ruptures: not an alliance measure)' : `, ${ev('rupture')} ruptures, ${ev('repair')} repairs`}`);
      if (c.icc) ctx.say(`  therapist ICC ${c.icc.icc.toFixed(3)} (${c.icc.groups} therapists, ${c.icc.n} clients)`);
      if (c.etr) ctx.say(`  expected treatment response (${c.etr.model.source === 'file' ? `from ${c.etr.model.file}` : `fitted to ${c.etr.model.nClients} clients`}): ${clients.filter((x) => x.notOnTrack).length} not on track`);
      sayAttention(ctx, attention, c.nClients);
      for (const w of report.result.warnings) ctx.warn(w);
      if (report.problems.length > 0) ctx.warn(`${report.problems.length} problem(s)${folder ? ` listed in ${join(opts.output!, 'problems.csv')}` : ' (see "problems" in the JSON)'}`);
      if (folder) ctx.say(`  written to ${opts.output}/`);
      else if (opts.output !== undefined && opts.output !== '-') ctx.say(`  written to ${opts.output}`);
    });
}
