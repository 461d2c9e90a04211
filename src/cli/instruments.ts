/** `rapport instruments list|show|validate`. */
import type { Command } from 'commander';
import { EXIT, usageError } from '../errors.js';
import { loadBundled, loadInstrument } from '../instrument/catalogue.js';
import { checkInstrumentFile, formatProblems } from '../instrument/load.js';
import { instrumentSummaryJson, renderInstrumentDetail, renderInstrumentList } from '../report/instrument-text.js';
import { printable } from '../report/format.js';
import type { CliContext, RunState } from './context.js';

export function registerInstrumentsCommand(program: Command, ctx: CliContext, state: RunState): void {
  const cmd = program.command('instruments').description('List, show and validate instrument definitions.');

  cmd
    .command('list')
    .description('List the bundled instruments.')
    .option('--format <format>', 'table or json', 'table')
    .addHelpText('after', '\nExamples:\n  $ rapport instruments list\n  $ rapport instruments list --format json')
    .action(async (opts: { format: string }) => {
      if (opts.format !== 'table' && opts.format !== 'json') throw usageError('BAD_FORMAT', `--format must be table or json, not "${opts.format}"`);
      const all = (await loadBundled()).map((l) => l.instrument);
      ctx.stdout.write(opts.format === 'json' ? `${JSON.stringify(all.map(instrumentSummaryJson), null, 2)}\n` : renderInstrumentList(all));
      if (opts.format === 'table' && all.some((i) => i.keyStatus === 'provisional')) {
        ctx.say(`${ctx.color.dim("key 'provisional': the scoring key was not found in two independent sources; see `rapport instruments show <id>`.")}`);
      }
    });

  cmd
    .command('show')
    .description('Show an instrument: citation, licence, key status, response scale, scales, items, norms and notes.')
    .argument('<id|path>', 'a bundled id (see list) or a definition file')
    .option('--format <format>', 'text or json (the definition itself)', 'text')
    .addHelpText('after', '\nExamples:\n  $ rapport instruments show wai-sr\n  $ rapport instruments show ./my-scale.json --format json')
    .action(async (ref: string, opts: { format: string }) => {
      if (opts.format !== 'text' && opts.format !== 'json') throw usageError('BAD_FORMAT', `--format must be text or json, not "${opts.format}"`);
      const loaded = await loadInstrument(ref);
      const origin = loaded.origin.kind === 'bundled' ? `bundled (${loaded.origin.file})` : loaded.origin.file;
      ctx.stdout.write(opts.format === 'json' ? `${JSON.stringify(loaded.instrument, null, 2)}\n` : renderInstrumentDetail(loaded.instrument, origin));
    });

  cmd
    .command('validate')
    .description('Check definition files against the schema and the rules beyond it. Exit 0 when all are valid, 3 otherwise.')
    .argument('<file...>', 'definition files (.json)')
    .addHelpText('after', '\nEach problem is printed with its JSON path, e.g. `$.scales[0].items[2]: scale "task" names item "13", which is not among the instrument\'s items`.\n\nExamples:\n  $ rapport instruments validate my-scale.json\n  $ rapport instruments validate instruments/*.json')
    .action(async (files: string[]) => {
      let invalid = 0;
      for (const file of files) {
        const result = await checkInstrumentFile(file);
        if (result.ok) {
          ctx.stdout.write(`${file}: valid (${result.instrument.id}: ${result.instrument.items.length} items, ${result.instrument.scales.length} scales)\n`);
        } else {
          invalid++;
          ctx.stdout.write(`${file}: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}\n`);
          for (const line of formatProblems(result.problems)) ctx.stdout.write(`  ${printable(line)}\n`);
        }
      }
      if (invalid > 0) state.exitCode = EXIT.unusableInput;
    });
}
