/**
 * rapport's version and the folder it is installed in (where package.json and instruments/ are),
 * found from this module's place whether it runs as TypeScript (src/), built (dist/) or bundled.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'rapport') return dir;
    if (dirname(dir) === dir) throw new Error('rapport cannot find its own package.json');
  }
}

/** The folder holding package.json, bin/, dist/ and instruments/. */
export const PACKAGE_ROOT: string = packageRoot();

/** rapport's version, from package.json (one place to change it). */
export const VERSION: string = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
