/**
 * The rapport program: commander wiring and the one place where errors become exit codes.
 * `main(argv, io)` runs in-process (tests pass their own streams) and returns the exit code.
 */
import { Command, CommanderError } from 'commander';
import { EXIT, RapportError } from '../errors.js';
import { VERSION } from '../version.js';
import { exitCleanlyOnSignals } from '../output/cleanup.js';
import { isBrokenPipe } from '../output/sink.js';
import { type CliContext, type CliIO, createContext, renderError, type RunState } from './context.js';
import { registerInstrumentsCommand } from './instruments.js';
import { registerReliabilityCommand } from './reliability.js';
import { registerScoreCommand } from './score.js';
import { registerReportCommand } from './report.js';
import { registerTrajectoriesCommand } from './trajectories.js';
import { registerLinkCommand } from './link.js';

export const EXIT_CODES_HELP = `
Exit codes:
  0  done (data problems, if any, are reported in the output and on stderr)
  1  data problems were found and --strict was given
  2  usage error (unknown option, bad option value, output would overwrite the input)
  3  unusable input (file cannot be parsed, unknown or invalid instrument, missing columns)
  4  internal error (a bug: please report it with the command you ran)`;


export function buildProgram(ctx: CliContext, state: RunState): Command {
  const program = new Command('rapport')
    .description('Score alliance and session questionnaires (WAI, CSQ-8, SEQ, CRF-S, ORS/SRS, or your own JSON definitions) from response CSVs.')
    .version(VERSION, '-V, --version', 'print rapport\'s version (from its package.json)')
    .option('-q, --quiet', 'print nothing but errors on standard error (for scheduled jobs)')
    .hook('preAction', (cmd) => {
      if (cmd.optsWithGlobals().quiet === true) ctx.quiet = true;
    })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void ctx.stdout.write(s),
      writeErr: (s) => void ctx.stderr.write(s),
      outputError: (s, write) => write(ctx.color.red(s)),
    })
    .addHelpText('after', EXIT_CODES_HELP);
  registerInstrumentsCommand(program, ctx, state);
  registerScoreCommand(program, ctx, state);
  registerReliabilityCommand(program, ctx, state);
  registerTrajectoriesCommand(program, ctx, state);
  registerReportCommand(program, ctx, state);
  registerLinkCommand(program, ctx, state);
  return program;
}

export function processIO(): CliIO {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    stderrIsTTY: process.stderr.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
  };
}

/**
 * The program as a process (bin/rapport.js): a closed pipe on standard output (`rapport … | head`)
 * or a closed standard error ends nothing, and SIGINT/SIGTERM/SIGHUP remove the run's temporary
 * files and exit with 130/143/129.
 */
export async function runProcess(argv: readonly string[]): Promise<number> {
  process.stdout.on('error', (err) => {
    if (!isBrokenPipe(err)) process.exitCode = EXIT.unusableInput;
  });
  process.stderr.on('error', () => undefined);
  exitCleanlyOnSignals();
  return main(argv);
}

export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const ctx = createContext(io);
  const state: RunState = { exitCode: EXIT.ok };
  // A closed pipe on stdout (`rapport score … | head`) ends the run quietly and successfully.
  const onStdoutError = (err: Error) => {
    if (!isBrokenPipe(err)) ctx.say(`error: cannot write to standard output: ${err.message}`);
  };
  io.stdout.on('error', onStdoutError);
  try {
    await buildProgram(ctx, state).parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? EXIT.ok : EXIT.usage;
    }
    if (isBrokenPipe(err)) return EXIT.ok;
    if (err instanceof RapportError) {
      ctx.stderr.write(renderError(err, ctx.color));
      return err.exitCode;
    }
    const e = err as Error;
    ctx.stderr.write(`${ctx.color.red('internal error:')} ${e?.stack ?? String(err)}\nThis is a bug in rapport; please report it with the command you ran.\n`);
    return EXIT.internal;
  } finally {
    io.stdout.off('error', onStdoutError);
  }
}
