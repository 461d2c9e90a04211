/**
 * The whole suite's temporary files live in one folder, given to every test (and every rapport it
 * runs) as TMPDIR and removed at the end, so a run leaves nothing in the system's temp folder.
 * Before removing it, checks that rapport itself left no temporary file behind there.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'rapport-tests-'));
  process.env.TMPDIR = root;
  return () => {
    const left = readdirSync(root).filter((name) => /^rapport-(part|stdin)-/.test(name));
    rmSync(root, { recursive: true, force: true });
    if (left.length > 0) throw new Error(`rapport left temporary folders behind: ${left.join(', ')}`);
  };
}
