#!/usr/bin/env node
/**
 * Seeded generator of long-format WAI-36 data for the benchmark: one row per administration,
 * columns client_id, therapist_id, session, wai36_1 … wai36_36 (1–7, 14 items reverse-keyed as in
 * the WAI), with a little missingness (≈1 % of cells). Clients have 20 sessions each, so 1,000,000
 * rows = 50,000 clients × 20 sessions.
 *
 *   node bench/generate.mjs --rows 1000000 --out bench/data/wai36-1m.csv [--seed 7]
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []));
const rows = Number(args.rows ?? 100000);
const out = args.out ?? `bench/data/wai36-${rows}.csv`;
let seed = Number(args.seed ?? 7) >>> 0;
// mulberry32: small, fast, seedable.
const rand = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const REVERSED = new Set([1, 3, 7, 9, 10, 11, 12, 15, 20, 27, 29, 31, 33, 34]);

mkdirSync(dirname(out), { recursive: true });
const file = createWriteStream(out);
file.write(`client_id,therapist_id,session,${Array.from({ length: 36 }, (_, i) => `wai36_${i + 1}`).join(',')}\n`);
const sessions = 20;
let buffer = '';
let level = 0;
for (let r = 0; r < rows; r++) {
  const client = Math.floor(r / sessions);
  const session = (r % sessions) + 1;
  if (session === 1) level = 5 + 0.8 * normal();
  level += 0.03 + 0.15 * normal();
  const cells = [`C${String(client).padStart(6, '0')}`, `T${String(client % 500).padStart(3, '0')}`, String(session)];
  for (let i = 1; i <= 36; i++) {
    if (rand() < 0.01) {
      cells.push('');
      continue;
    }
    let v = Math.round(level + 0.9 * normal());
    v = Math.min(7, Math.max(1, v));
    cells.push(String(REVERSED.has(i) ? 8 - v : v));
  }
  buffer += `${cells.join(',')}\n`;
  if (buffer.length > 1 << 20) {
    if (!file.write(buffer)) await new Promise((ok) => file.once('drain', ok));
    buffer = '';
  }
}
file.end(buffer);
await new Promise((ok) => file.on('finish', ok));
console.error(`wrote ${rows} rows to ${out}`);
