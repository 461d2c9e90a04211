#!/usr/bin/env node
/**
 * `npm run bench`: times rapport's commands on generated WAI-36 data next to the hardware floor (a
 * plain Node program streaming the same file and looking at every byte, in the same run, as the
 * issue defines it), with rows/s, MB/s, peak RSS and the ratio to the floor, at 100k and 1M rows
 * (and the 1M/100k time ratio, ≈ 10 for linear work). The same byte loop inside the warm bench
 * process is shown too, as a stricter reference.
 * Not a test: nothing fails on a slow machine.
 *
 *   npm run bench                 # 100k and 1M rows
 *   npm run bench -- --sizes 100000
 *   npm run bench -- --repeat 3   # each command 3 times (and the floor 3 × 3): medians, and the range
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, openSync, readSync, closeSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const sizes = (args.includes('--sizes') ? args[args.indexOf('--sizes') + 1] : '100000,1000000').split(',').map(Number);
const repeat = args.includes('--repeat') ? Number(args[args.indexOf('--repeat') + 1]) : 1;
if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat takes a whole number of runs, 1 or more');
const median = (xs) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];
const data = join(root, 'bench', 'data');
mkdirSync(data, { recursive: true });
const work = join(tmpdir(), `rapport-bench-${process.pid}`);
mkdirSync(work, { recursive: true });
const rssFile = join(work, 'rss');

/**
 * The floor, as the issue measured it: a plain Node program that streams the file and looks at
 * every byte (counting line feeds), timed like the commands (process start to exit).
 */
const SCAN = `let n = 0; for await (const b of require('node:fs').createReadStream(process.argv[1])) for (let i = 0; i < b.length; i++) if (b[i] === 10) n++; console.log(n);`;
function processScan(file) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-e', `(async () => { ${SCAN} })()`, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error('byte scan failed');
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

/** The same loop inside this (warm) process, without starting Node or streaming: a stricter reference. */
function byteScan(file) {
  const t0 = process.hrtime.bigint();
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let lines = 0;
  for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) for (let i = 0; i < n; i++) if (buf[i] === 10) lines++;
  closeSync(fd);
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, lines };
}

/** A command run `repeat` times: the median time (and the fastest and slowest), the largest peak RSS. */
function runRepeated(argv, label) {
  const runs = Array.from({ length: repeat }, () => run(argv, label));
  const times = runs.map((r) => r.seconds);
  return { seconds: median(times), min: Math.min(...times), max: Math.max(...times), rssMB: Math.max(...runs.map((r) => r.rssMB)) };
}

function run(argv, label) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--require', join(root, 'bench', 'rss-hook.cjs'), join(root, 'bin', 'rapport.js'), ...argv], {
    env: { ...process.env, RAPPORT_RSS_FILE: rssFile, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 64 << 20,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${label} failed (${r.status}): ${r.stderr}`);
  return { seconds, rssMB: Number(readFileSync(rssFile, 'utf8')) / 1024 };
}

/**
 * A second instrument for the two-instrument cases: the WAI's bond subscale as an instrument of its
 * own (its 12 items and keys from instruments/wai.json), so the same rows are scored twice, as a
 * clinic scoring an alliance and a second questionnaire would.
 */
const bondFile = join(work, 'wai-bond.json');
{
  const def = JSON.parse(readFileSync(join(root, 'instruments', 'wai.json'), 'utf8'));
  const bond = def.scales.find((s) => s.id === 'bond');
  def.id = 'wai-bond';
  def.name = 'WAI bond subscale (benchmark)';
  def.items = def.items.filter((it) => bond.items.includes(it.id));
  def.scales = [{ ...bond, id: 'total', name: 'Bond' }];
  delete def.norms;
  writeFileSync(bondFile, JSON.stringify(def));
}

/**
 * The same text in other encodings: therapist ids T000 become Thé000 (a non-ASCII letter on every
 * row), written as UTF-8, as Windows-1252 and as UTF-16 LE with a BOM.
 */
function encodings(file) {
  const text = readFileSync(file, 'latin1').replace(/,T(\d{3}),/g, ',Th\u00e9$1,');
  const out = { utf8: join(work, 'enc-utf8.csv'), cp1252: join(work, 'enc-cp1252.csv'), utf16: join(work, 'enc-utf16le.csv') };
  writeFileSync(out.utf8, Buffer.from(text, 'utf8'));
  writeFileSync(out.cp1252, Buffer.from(text, 'latin1'));
  writeFileSync(out.utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
  return out;
}

const results = [];
for (const rows of sizes) {
  const file = join(data, `wai36-${rows}.csv`);
  if (!existsSync(file)) spawnSync(process.execPath, [join(root, 'bench', 'generate.mjs'), '--rows', String(rows), '--out', file], { stdio: 'inherit' });
  const mb = statSync(file).size / 1e6;
  byteScan(file); // warm the page cache
  const warm = byteScan(file);
  // The median of three (of 3 × repeat), as one run can be slowed by this machine's neighbours.
  const scans = Array.from({ length: 3 * repeat }, () => processScan(file).seconds);
  const floor = { seconds: median(scans), min: Math.min(...scans), max: Math.max(...scans) };
  const cases = [
    ['score', ['score', file, '-i', 'wai', '-o', join(work, 'scores.csv')]],
    ['reliability', ['reliability', file, '-i', 'wai', '-o', join(work, 'rel.csv')]],
    ['trajectories', ['trajectories', file, '-i', 'wai', '-o', join(work, 'traj')]],
    ['report', ['report', file, '-i', 'wai', '-o', join(work, 'report')]],
    ['score, 2 instruments', ['score', file, '-i', `wai,${bondFile}`, '-o', join(work, 'scores2.csv')]],
    ['report, 2 instruments', ['report', file, '-i', `wai,${bondFile}`, '-o', join(work, 'report2')]],
  ];
  results.push({ rows, mb, command: 'byte scan, in this process (warm)', seconds: warm.seconds, rssMB: NaN, ratio: warm.seconds / floor.seconds });
  results.push({ rows, mb, command: 'byte scan, node process (floor)', seconds: floor.seconds, min: floor.min, max: floor.max, rssMB: NaN, ratio: 1 });
  for (const [label, argv] of cases) {
    const r = runRepeated(argv, label);
    results.push({ rows, mb, command: label, seconds: r.seconds, min: r.min, max: r.max, rssMB: r.rssMB, ratio: r.seconds / floor.seconds });
  }
  // Non-UTF-8 input: the same text read as UTF-8, Windows-1252 and UTF-16 (score; the reading is every command's).
  const enc = encodings(file);
  for (const [label, argv] of [
    ['score, UTF-8 (é on every row)', ['score', enc.utf8, '-i', 'wai', '-o', join(work, 'e.csv')]],
    ['score, Windows-1252 (same text)', ['score', enc.cp1252, '-i', 'wai', '--encoding', 'windows-1252', '-o', join(work, 'e.csv')]],
    ['score, UTF-16 LE (same text)', ['score', enc.utf16, '-i', 'wai', '-o', join(work, 'e.csv')]],
  ]) {
    const r = runRepeated(argv, label);
    results.push({ rows, mb: statSync(argv[1]).size / 1e6, command: label, seconds: r.seconds, min: r.min, max: r.max, rssMB: r.rssMB, ratio: r.seconds / floor.seconds });
  }
  for (const f of Object.values(enc)) rmSync(f);
}
// Bootstrap: 1000 resamples of 5,000 rows × 12 items (WAI items 1-12 as a 12-item scale).
const bootFile = join(work, 'boot5k.csv');
{
  const src = join(data, `wai36-${sizes[0]}.csv`);
  const lines = readFileSync(src, 'utf8').split('\n').slice(0, 5001);
  writeFileSync(bootFile, `${lines.map((l) => l.split(',').slice(0, 15).join(',')).join('\n')}\n`);
  const def = JSON.parse(readFileSync(join(root, 'instruments', 'wai.json'), 'utf8'));
  def.id = 'wai12';
  def.items = def.items.slice(0, 12);
  def.scales = [{ id: 'total', name: 'Items 1-12', items: def.items.map((i) => i.id), method: 'sum', maxMissing: 3 }];
  delete def.norms;
  writeFileSync(join(work, 'wai12.json'), JSON.stringify(def));
  const r = runRepeated(['reliability', bootFile, '-i', join(work, 'wai12.json'), '--boot', '1000', '--seed', '1', '-o', join(work, 'boot.csv')], 'boot');
  results.push({ rows: 5000, mb: statSync(bootFile).size / 1e6, command: 'reliability --boot 1000 (12 items)', seconds: r.seconds, min: r.min, max: r.max, rssMB: r.rssMB, ratio: NaN });
}

const pad = (s, n) => String(s).padStart(n);
console.log(`\nrapport benchmark — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB${repeat > 1 ? `; medians of ${repeat} runs (floor: ${3 * repeat})` : ''}`);
const range = (r) => (repeat > 1 && r.min !== undefined ? `  ${r.min.toFixed(2)}–${r.max.toFixed(2)}` : '');
console.log(`${'rows'.padStart(9)}  ${'command'.padEnd(36)} ${pad('seconds', 8)} ${pad('rows/s', 11)} ${pad('MB/s', 7)} ${pad('peak MB', 8)} ${pad('× floor', 8)}${repeat > 1 ? '  range (s)' : ''}`);
for (const r of results) {
  console.log(
    `${pad(r.rows.toLocaleString('en'), 9)}  ${r.command.padEnd(36)} ${pad(r.seconds.toFixed(2), 8)} ${pad(Math.round(r.rows / r.seconds).toLocaleString('en'), 11)} ${pad((r.mb / r.seconds).toFixed(1), 7)} ${pad(Number.isNaN(r.rssMB) ? '–' : r.rssMB.toFixed(0), 8)} ${pad(Number.isNaN(r.ratio) ? '–' : r.ratio.toFixed(1), 8)}${range(r)}`,
  );
}
const at = (rows, command) => results.find((r) => r.rows === rows && r.command === command)?.seconds;
console.log('\nratios (the issue\'s targets: report ≤ 1.5 × score with two instruments; other encodings ≤ 1.5 × UTF-8):');
for (const rows of sizes) {
  const n = rows.toLocaleString('en');
  console.log(`  ${n.padStart(9)} rows  report / score: ${(at(rows, 'report') / at(rows, 'score')).toFixed(2)} (one instrument), ${(at(rows, 'report, 2 instruments') / at(rows, 'score, 2 instruments')).toFixed(2)} (two)`);
  console.log(`  ${n.padStart(9)} rows  Windows-1252 / UTF-8: ${(at(rows, 'score, Windows-1252 (same text)') / at(rows, 'score, UTF-8 (é on every row)')).toFixed(2)}, UTF-16 / UTF-8: ${(at(rows, 'score, UTF-16 LE (same text)') / at(rows, 'score, UTF-8 (é on every row)')).toFixed(2)}`);
}
if (sizes.length > 1) {
  const [a, b] = sizes;
  console.log(`\ntime ratio ${b.toLocaleString('en')} / ${a.toLocaleString('en')} rows (≈ ${b / a} for linear work):`);
  for (const command of ['score', 'reliability', 'trajectories', 'report', 'report, 2 instruments']) {
    const x = results.find((r) => r.rows === a && r.command === command);
    const y = results.find((r) => r.rows === b && r.command === command);
    console.log(`  ${command.padEnd(22)} ${(y.seconds / x.seconds).toFixed(1)}`);
  }
}
rmSync(work, { recursive: true, force: true });
