/** rapport as a separate process (bin/rapport.js over dist/, which `npm test` builds first), for what only a process shows: signals, pipes, concurrency. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

export const BIN = resolve('bin/rapport.js');

export interface Spawned {
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  out(): string;
  err(): string;
  /** The exit code (128 + n for a signal, as a shell reports it). */
  exited: Promise<number>;
}

export function spawnRapport(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Spawned {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const signals: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  const exited = new Promise<number>((ok) => child.on('close', (code, signal) => ok(code ?? 128 + (signals[signal ?? ''] ?? 0))));
  return { child, out: () => out, err: () => err, exited };
}

export function runRapport(args: string[], opts: { cwd?: string; input?: string | Buffer; env?: Record<string, string> } = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd, input: opts.input, encoding: 'utf8', env: { ...process.env, ...opts.env } });
}

/** Waits until `ok()` holds, checking every 20 ms; fails after `ms`. */
export async function waitFor(ok: () => boolean, what: string, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A pid no process has (a process that ran and ended). */
export function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}
