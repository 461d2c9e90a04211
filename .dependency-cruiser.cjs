/**
 * The house's rules (README "Layout"): data flow one way, each folder one role. `npm test` runs
 * `depcruise src`; any violation fails it. A rule names what a folder may NOT import.
 */
const folder = (name) => `^src/${name}/`;
const only = (from, allowed) => ({
  name: `${from}-imports-only-${allowed.join('-') || 'nothing'}`,
  comment: `src/${from}/ may import only ${allowed.length ? allowed.map((a) => `src/${a}/`).join(', ') : 'no other folder of rapport'} (and src/errors.ts, src/version.ts, src/typed-arrays.ts)`,
  severity: 'error',
  from: { path: folder(from) },
  to: { path: '^src/', pathNot: [folder(from), '^src/(errors|version|typed-arrays)\\.ts$', ...allowed.map(folder)] },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', comment: 'no import circle, at file or folder level', severity: 'error', from: {}, to: { circular: true } },
    { name: 'nothing-imports-cli', severity: 'error', from: { pathNot: '^src/cli/' }, to: { path: '^src/cli/' } },
    only('pipeline', ['input', 'scoring', 'reliability', 'trajectory', 'report', 'output', 'instrument']),
    only('input', ['kernels']),
    only('scoring', ['input', 'instrument', 'kernels']),
    only('reliability', ['scoring', 'input', 'instrument', 'stats', 'kernels']),
    only('trajectory', ['scoring', 'input', 'instrument', 'stats']),
    only('report', ['reliability', 'trajectory', 'scoring', 'input', 'instrument', 'stats', 'kernels']),
    only('output', []),
    only('instrument', []),
    only('stats', ['kernels']),
    only('kernels', []),
    { name: 'leaf-modules', comment: 'errors.ts, version.ts and typed-arrays.ts import nothing of rapport', severity: 'error', from: { path: '^src/(errors|version|typed-arrays)\\.ts$' }, to: { path: '^src/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
