/**
 * A folder of outputs that rapport owns (`report -o <dir>`, `trajectories -o <dir>`): built under
 * a temporary name beside it and moved into place whole at the end, so a failed or interrupted run
 * leaves the previous folder as it was and no run's files mix with another's. An existing folder
 * is replaced only when everything in it is what an earlier run wrote, unchanged: each run writes a
 * manifest (.rapport-manifest.json) naming its files with their sizes and SHA-256 digests. Anything
 * else in the folder (a user's notes, a .git folder, data) makes rapport refuse, naming those
 * files. One run at a time per folder: a lock file beside it (holding the run's pid) turns a second
 * concurrent run away.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, link, lstat, mkdir, mkdtemp, readdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { RapportError, usageError } from '../errors.js';
import { processExists, sweepStale, track } from './cleanup.js';
import { errnoOf, writeFailure } from './environment.js';
import { syncFile } from './sink.js';

export const MANIFEST = '.rapport-manifest.json';
/** Files up to this size are recorded with their digest; larger ones by size alone. */
const DIGEST_MAX = 4 << 20;

interface ManifestEntry {
  path: string;
  bytes: number;
  sha256?: string;
}

interface Manifest {
  tool: 'rapport';
  version: string;
  command: string;
  files: ManifestEntry[];
}

export interface OwnedFolderOptions {
  /** The command writing it (recorded in the manifest), e.g. "report". */
  command: string;
  version: string;
  /** The input file, which must not lie inside the folder. */
  input?: string;
  /**
   * A folder an older rapport wrote has no manifest: it is recognised when it holds every one of
   * `required` and nothing but `allowed` (paths relative to the folder, `/` as separator).
   */
  legacy?: { required: readonly string[]; allowed: (path: string) => boolean };
}

export interface OwnedFolder {
  /** Where the folder will be. */
  readonly path: string;
  /** The folder being built (temporary); anything left in it at commit must have been recorded. */
  readonly dir: string;
  /** Writes a file into the folder being built (`rel` may name a subfolder, e.g. figures/x.svg). */
  writeFile(rel: string, data: string | Uint8Array): Promise<void>;
  /** Records a file written into `dir` by other means (a streamed output), for the manifest. */
  record(rel: string): void;
  /** The files written so far, relative to the folder. */
  readonly files: readonly string[];
  /** Puts the folder in place (replacing the earlier one). */
  commit(): Promise<void>;
  /** Removes what was built; the earlier folder stays. Safe to call more than once. */
  abort(): Promise<void>;
}

const toPosix = (p: string): string => p.split(sep).join('/');

/** Entries looked at before a folder is judged not ours (a home folder given by mistake is not walked whole). */
const TREE_MAX = 1000;

/** The files and folders under `dir`, relative, folders with a trailing slash; at most TREE_MAX. */
async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (at: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      if (out.length >= TREE_MAX) return;
      const rel = `${prefix}${entry.name}`;
      if (entry.isDirectory()) {
        out.push(`${rel}/`);
        await walk(join(at, entry.name), `${rel}/`);
      } else out.push(rel);
    }
  };
  await walk(dir, '');
  return out;
}

async function digest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function describe(root: string, rel: string): Promise<ManifestEntry> {
  const full = join(root, rel);
  const { size } = await stat(full);
  return size <= DIGEST_MAX ? { path: rel, bytes: size, sha256: await digest(full) } : { path: rel, bytes: size };
}

async function readManifest(dir: string): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const m = JSON.parse(text) as Manifest;
    return m.tool === 'rapport' && Array.isArray(m.files) ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What in `dir` rapport did not write (or a user changed since): empty when the folder may be
 * replaced. Entries are relative paths, with why for changed files.
 */
async function foreignEntries(dir: string, legacy: OwnedFolderOptions['legacy']): Promise<string[]> {
  const entries = await listTree(dir);
  const manifest = await readManifest(dir);
  if (!manifest) {
    const files = entries.filter((e) => !e.endsWith('/'));
    const isLegacy = legacy !== undefined && legacy.required.every((r) => files.includes(r)) && files.every((f) => legacy.allowed(f));
    if (isLegacy) return [];
    // Files, and folders with nothing in them.
    return entries.filter((e) => !e.endsWith('/') || !entries.some((o) => o !== e && o.startsWith(e)));
  }
  const known = new Map(manifest.files.map((f) => [f.path, f]));
  const foreign: string[] = [];
  for (const e of entries) {
    if (e === MANIFEST) continue;
    if (e.endsWith('/')) {
      // A folder is ours when some file we wrote is in it; an empty folder of ours is fine too.
      if (![...known.keys()].some((k) => k.startsWith(e))) foreign.push(e);
      continue;
    }
    const f = known.get(e);
    if (!f) {
      foreign.push(e);
      continue;
    }
    const now = await describe(dir, e);
    if (now.bytes !== f.bytes || (f.sha256 !== undefined && now.sha256 !== f.sha256)) foreign.push(`${e} (changed since rapport wrote it)`);
  }
  return foreign;
}

const busy = (path: string, pid?: number): RapportError =>
  new RapportError('environment', 'OUTPUT_BUSY', `${path} is being written by another rapport run${pid ? ` (process ${pid})` : ''}`, {
    location: { file: path },
    hint: 'wait for that run to finish, or choose another -o folder',
  });

/** A lock file whose content names no process, younger than this, is taken to be in use. */
const UNREADABLE_LOCK_MS = 60_000;

const pidIn = (text: string): number => (/^\d+\n?$/.test(text) ? Number(text.trim()) : NaN);

/** Links `from` to `to`, failing with EEXIST when `to` exists; on a file system without hard links
 * (FAT, some network shares), creates `to` exclusively and writes the same content, for which the
 * young-and-unreadable rule below covers the moment it is empty. */
async function linkOrWrite(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    if (!['EPERM', 'ENOTSUP', 'ENOSYS', 'EOPNOTSUPP', 'EXDEV'].includes(errnoOf(err) ?? '')) throw err;
    await writeFile(to, await readFile(from), { flag: 'wx' });
  }
}

/**
 * Takes the folder's lock: a file holding this run's pid. It appears whole, never empty: the pid is
 * written to a private file first and linked to the lock's name, which fails when the lock exists.
 * A lock whose process has ended is moved aside (one run wins that rename) and taken over; a run
 * that finds it moved away a live lock instead puts it back and is refused.
 */
async function takeLock(lock: string, path: string): Promise<() => Promise<void>> {
  const mine = `${lock}-${process.pid}-${Date.now()}`;
  const untrackMine = track(mine);
  try {
    await writeFile(mine, `${process.pid}\n`, { flag: 'wx' });
  } catch (err) {
    untrackMine();
    throw writeFailure(err, path, 'create');
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await linkOrWrite(mine, lock);
        const untrack = track(lock);
        return async () => {
          await rm(lock, { force: true });
          untrack();
        };
      } catch (err) {
        if (errnoOf(err) !== 'EEXIST') throw writeFailure(err, path, 'create');
      }
      const held = await readFile(lock, 'utf8').catch(() => undefined);
      if (held === undefined) continue; // released meanwhile
      const pid = pidIn(held);
      if (Number.isNaN(pid)) {
        // Not a lock this version writes (or one being written by an older one): in use while young.
        const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
        if (age < UNREADABLE_LOCK_MS) throw busy(path);
      } else if (processExists(pid)) {
        throw busy(path, pid);
      }
      // Left by a run that was killed: moved aside, then taken over.
      const aside = `${lock}-${process.pid}-stale`;
      const untrackAside = track(aside);
      try {
        await rename(lock, aside);
      } catch {
        untrackAside();
        continue; // another run moved it first
      }
      const moved = await readFile(aside, 'utf8').catch(() => '');
      const movedPid = pidIn(moved);
      if (moved !== held && processExists(movedPid)) {
        // Between our read and our rename another run took the lock over: give it back.
        await linkOrWrite(aside, lock).catch(() => undefined);
        await rm(aside, { force: true });
        untrackAside();
        throw busy(path, movedPid);
      }
      await rm(aside, { force: true });
      untrackAside();
    }
    throw busy(path);
  } finally {
    await rm(mine, { force: true });
    untrackMine();
  }
}

export async function openOwnedFolder(path: string, opts: OwnedFolderOptions): Promise<OwnedFolder> {
  if (path === '-') throw usageError('OUTPUT_FOLDER_REQUIRED', `${opts.command} writes several files: -o needs a folder, not - (standard output)`, 'give a folder name, e.g. -o out');
  let target = resolve(path);
  // A link to a folder: the folder it points to is replaced, the link stays.
  const linked = await lstat(target).catch(() => undefined);
  if (linked?.isSymbolicLink()) target = await realpath(target).catch(() => target);
  if (opts.input !== undefined && opts.input !== '-') {
    const rel = relative(target, resolve(opts.input));
    if (rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && rel !== resolve(opts.input))) {
      throw usageError('OUTPUT_IS_INPUT', `the input ${opts.input} is inside the output folder ${path}, which would be replaced`, 'choose another -o folder');
    }
  }
  const parent = dirname(target);
  const name = basename(target);
  try {
    await mkdir(parent, { recursive: true });
  } catch (err) {
    throw writeFailure(err, parent, 'create the folder');
  }
  const release = await takeLock(join(parent, `.${name}.lock`), path);
  let work: string | undefined;
  let untrackWork = () => {};
  try {
    await sweepStale(parent, `.${name}.lock-`);
    await sweepStale(parent, `.${name}.tmp-`);
    await sweepStale(parent, `.${name}.old-`);
    const existing = await stat(target).catch(() => undefined);
    if (existing && !existing.isDirectory()) throw usageError('OUTPUT_NOT_A_FOLDER', `${path} exists and is not a folder`, 'choose another -o path');
    const check = async () => {
      const foreign = await foreignEntries(target, opts.legacy);
      if (foreign.length > 0) {
        const shown = foreign.slice(0, 10);
        throw new RapportError('usage', 'OUTPUT_FOLDER_NOT_OURS', `${path} holds files rapport did not write; it was left as it is`, {
          location: { file: path },
          details: [...shown, ...(foreign.length > shown.length ? [`… and ${foreign.length - shown.length} more`] : [])],
          hint: 'choose a new or empty folder (rapport only replaces a folder it wrote itself), or move those files away',
        });
      }
    };
    if (existing) await check();
    const umask = process.umask();
    const mode = existing ? existing.mode & 0o7777 : 0o777 & ~umask;
    work = await mkdtemp(join(parent, `.${name}.tmp-${process.pid}-`)).catch((err: unknown) => {
      throw writeFailure(err, path, 'create');
    });
    untrackWork = track(work);
    const root = work;
    const written: string[] = [];
    let done = false;
    const removeWork = async () => {
      await rm(root, { recursive: true, force: true });
      untrackWork();
    };
    return {
      path,
      dir: root,
      files: written,
      record(rel) {
        written.push(toPosix(rel));
      },
      async writeFile(rel, data) {
        const full = join(root, rel);
        try {
          await mkdir(dirname(full), { recursive: true });
          await writeFile(full, data);
          await syncFile(full);
        } catch (err) {
          throw writeFailure(err, join(path, rel));
        }
        written.push(toPosix(rel));
      },
      async commit() {
        if (done) return;
        done = true;
        try {
          const manifest: Manifest = { tool: 'rapport', version: opts.version, command: opts.command, files: [] };
          for (const rel of [...written].sort()) manifest.files.push(await describe(root, rel));
          await writeFile(join(root, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
          await syncFile(join(root, MANIFEST));
          await chmod(root, mode);
          const now = await stat(target).catch(() => undefined);
          if (now) {
            // Checked again: something may have been put there while this run worked.
            await check();
            const old = `${join(parent, `.${name}.old-${process.pid}-`)}${Date.now().toString(36)}`;
            const untrackOld = track(old);
            await rename(target, old);
            try {
              await rename(root, target);
            } catch (err) {
              await rename(old, target);
              throw err;
            }
            untrackWork();
            await rm(old, { recursive: true, force: true });
            untrackOld();
          } else {
            await rename(root, target);
            untrackWork();
          }
        } catch (err) {
          await removeWork();
          throw writeFailure(err, path, 'write the folder');
        } finally {
          await release();
        }
      },
      async abort() {
        if (done) return;
        done = true;
        await removeWork();
        await release();
      },
    };
  } catch (err) {
    if (work !== undefined) {
      await rm(work, { recursive: true, force: true });
      untrackWork();
    }
    await release();
    throw err;
  }
}
