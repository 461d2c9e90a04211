/**
 * What the file system says when rapport cannot write, as errors a person can act on: a stable
 * code, the path, and a hint (exit 3). Never an "internal error": a read-only disk, a missing
 * permission or a full disk is the user's to fix, not a bug.
 */
import { RapportError } from '../errors.js';

const REASONS: Record<string, { code: string; why: string; hint: string }> = {
  EROFS: { code: 'OUTPUT_READ_ONLY', why: 'the file system is read-only', hint: 'write to another folder (-o), one on a writable disk' },
  EACCES: { code: 'OUTPUT_PERMISSION', why: 'permission denied', hint: 'choose a folder you may write to, or ask for write permission' },
  EPERM: { code: 'OUTPUT_PERMISSION', why: 'the operation is not permitted', hint: 'choose a folder you may write to, or ask for write permission' },
  ENOTDIR: { code: 'OUTPUT_PARENT_NOT_FOLDER', why: 'a part of the path is a file, not a folder', hint: 'check the path: one of its folders is a file' },
  ENOENT: { code: 'OUTPUT_FOLDER_MISSING', why: 'the folder does not exist', hint: 'create the folder first, or choose another path' },
  ENOSPC: { code: 'DISK_FULL', why: 'the disk is full', hint: 'free some space, or write to another disk; nothing was replaced' },
  EDQUOT: { code: 'DISK_FULL', why: 'the disk quota is used up', hint: 'free some space, or write to another disk; nothing was replaced' },
  EISDIR: { code: 'OUTPUT_IS_FOLDER', why: 'it is a folder', hint: 'give a file name, not a folder' },
  EMFILE: { code: 'TOO_MANY_OPEN_FILES', why: 'too many files are open', hint: 'close other programs, or raise the limit (ulimit -n)' },
  ENAMETOOLONG: { code: 'OUTPUT_NAME_TOO_LONG', why: 'the path is too long', hint: 'choose a shorter path' },
};

/** The errno code of a file-system error, if it has one. */
export const errnoOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

/**
 * An error met while writing `path` (or `action`-ing it) as a RapportError of kind environment;
 * RapportErrors pass through, and unknown causes keep the system's message.
 */
export function writeFailure(err: unknown, path: string, action = 'write'): RapportError {
  if (err instanceof RapportError) return err;
  const errno = errnoOf(err);
  const reason = errno === undefined ? undefined : REASONS[errno];
  const message = (err as Error | undefined)?.message ?? String(err);
  return new RapportError('environment', reason?.code ?? 'OUTPUT_FAILED', `cannot ${action} ${path}: ${reason?.why ?? message}`, {
    location: { file: path },
    hint: reason?.hint ?? 'check the path and the disk, then run again',
    cause: err,
  });
}
