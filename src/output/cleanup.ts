/**
 * Temporary files and folders a run makes (beside its outputs, and in the temp folder) are
 * registered here, so that an interrupted run (SIGINT, SIGTERM, SIGHUP) removes them before it
 * exits, and the next run removes those a killed run (SIGKILL) left: their names carry the pid of
 * the run that made them, and only names of processes that no longer exist are removed.
 */
import { rmSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

const pending = new Set<string>();

/** Registers a temporary path; the function returned unregisters it (once it is renamed or removed). */
export function track(path: string): () => void {
  pending.add(path);
  return () => void pending.delete(path);
}

/** Removes every registered path, synchronously (for a signal handler). */
export function removeTrackedSync(): void {
  for (const p of pending) {
    try {
      rmSync(p, { recursive: true, force: true });
    } catch {
      // Nothing more can be done on the way out.
    }
  }
  pending.clear();
}

/** Whether a process with this pid exists (one of another user counts as existing). */
export function processExists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Removes the entries of `dir` whose names start with `prefix` followed by `<pid>-` where that pid
 * is no running process: what a killed run left. Errors are ignored (a folder we cannot read holds
 * nothing we made).
 */
export async function sweepStale(dir: string, prefix: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const pattern = new RegExp(`^${escapeRegExp(prefix)}(\\d+)-`);
  for (const name of names) {
    const m = pattern.exec(name);
    if (m && !processExists(Number(m[1]))) await rm(join(dir, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

/** The exit code of a run ended by a signal (128 + its number). */
export const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/**
 * Makes SIGINT, SIGTERM and SIGHUP remove the run's temporary files and exit with 128 + the
 * signal's number. For the process only (bin/rapport.js), never for in-process test runs.
 */
export function exitCleanlyOnSignals(): void {
  for (const [signal, code] of Object.entries(SIGNAL_EXIT)) {
    process.once(signal as NodeJS.Signals, () => {
      removeTrackedSync();
      process.exit(code);
    });
  }
}
