#!/usr/bin/env node
/**
 * Builds rapport: esbuild bundles src/cli/main.ts and every library it uses into dist/rapport.js
 * (and the chunks of what is loaded only when needed, such as the workbook reader), so an installed
 * rapport needs no other package at run time and starts without loading hundreds of files. The
 * licences of the bundled packages are collected into dist/THIRD-PARTY-NOTICES.md. Type checking is
 * tsc's (`npm test` runs it); this only transpiles and bundles, in a fraction of a second.
 *
 *   node scripts/build.mjs
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  // A production install (npm ci --omit=dev) of a clone that was built before keeps its dist/.
  if (existsSync(fileURLToPath(new URL('../dist/rapport.js', import.meta.url)))) {
    console.error('rapport: esbuild is not installed (a production install): dist/ is kept as it was built');
    process.exit(0);
  }
  console.error('rapport: building needs esbuild, a dev dependency: run `npm ci` (not --omit=dev) in a clone; a packed or published rapport comes built');
  process.exit(1);
}

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { rapport: 'src/cli/main.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  // Bundled CommonJS packages may require Node's modules: give the ES module a require.
  banner: { js: "import { createRequire as rapportCreateRequire } from 'node:module'; const require = rapportCreateRequire(import.meta.url);" },
});

/** The package folders under node_modules that the bundle took code from. */
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const parts = input.split(/[\\/]/);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) continue;
  const name = parts[at + 1].startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1];
  packages.set(name, join(root, ...parts.slice(0, at + 1), ...name.split('/')));
}
// One section per distinct licence text, naming every package under it (@stdlib's hundreds share one).
const byText = new Map();
for (const [name, dir] of [...packages].sort(([a], [b]) => a.localeCompare(b))) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  const text = file ? readFileSync(join(dir, file), 'utf8').trim() : `(no licence file in the package; package.json: ${pkg.license})`;
  const list = byText.get(text) ?? [];
  list.push(`${name} ${pkg.version} (${pkg.license ?? 'see the text'})`);
  byText.set(text, list);
}
const notices = ['# Third-party notices', '', 'dist/ bundles code of the packages below, each under the licence text that follows its name.', ''];
for (const [text, names] of byText) notices.push(`## ${names.join(', ')}`, '', '```', text, '```', '');
writeFileSync(join(dist, 'THIRD-PARTY-NOTICES.md'), `${notices.join('\n')}\n`);
const bytes = readdirSync(dist).filter((f) => f.endsWith('.js')).reduce((a, f) => a + readFileSync(join(dist, f)).length, 0);
console.log(`dist/: ${readdirSync(dist).filter((f) => f.endsWith('.js')).length} modules, ${(bytes / 1e6).toFixed(2)} MB, ${packages.size} packages bundled`);
