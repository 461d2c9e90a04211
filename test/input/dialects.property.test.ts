/**
 * Property-based tests (fast-check) of reading and scoring:
 * - a table written in any dialect (delimiter, encoding with or without BOM, line ending, quoting)
 *   scores exactly like the same table as plain CSV;
 * - whatever the cells hold (junk, quotes, newlines, labels, numbers), every row comes out,
 *   and every problem points at a row that has one.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readCsvObjects } from '../helpers/csv.js';
import { tempDir } from '../helpers/tmp.js';

const HEADER = ['client_id', 'session', ...Array.from({ length: 12 }, (_, i) => `wai${i + 1}`), 'ors1', 'ors2', 'ors3', 'ors4', 'note'];

const waiCell = fc.oneof(fc.integer({ min: 1, max: 5 }).map(String), fc.constantFrom('', 'Always', ' very often ', 'Seldom'));
const orsCell = fc.oneof(fc.integer({ min: 0, max: 100 }).map((x) => (x / 10).toFixed(1)), fc.constant(''));
const note = fc.string({ maxLength: 12 }).filter((s) => !s.includes('\u0000') && !/^[\s\uFEFF]/.test(s));
const row = fc.tuple(fc.array(waiCell, { minLength: 12, maxLength: 12 }), fc.array(orsCell, { minLength: 4, maxLength: 4 }), note);

const dialect = fc.record({
  delimiter: fc.constantFrom(',', ';', '\t', '|'),
  encoding: fc.constantFrom('utf8', 'utf8-bom', 'utf16le', 'utf16be'),
  eol: fc.constantFrom('\n', '\r\n'),
  quoteAll: fc.boolean(),
});

function encode(text: string, encoding: string): Buffer {
  if (encoding === 'utf8') return Buffer.from(text, 'utf8');
  if (encoding === 'utf8-bom') return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  if (encoding === 'utf16le') return le;
  const be = Buffer.from(le);
  for (let i = 0; i + 1 < be.length; i += 2) [be[i], be[i + 1]] = [be[i + 1]!, be[i]!];
  return be;
}

const scoreColumns = (r: Record<string, string>) => Object.keys(r).filter((c) => /^(wai_sr|ors)_/.test(c) && !c.endsWith('_problems'));

describe('property: any dialect scores like plain CSV', () => {
  it('delimiter × encoding × BOM × line ending × quoting', async () => {
    const dir = tempDir();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 6 }), dialect, async (rows, d) => {
        const table = rows.map(([w, o, text], i) => [`C${i}`, String(i + 1), ...w, ...(d.delimiter === ',' ? o : o.map((x) => x.replace('.', ','))), text]);
        const plain = join(dir, `plain-${n}.csv`);
        const variant = join(dir, `variant-${n++}.csv`);
        writeFileSync(plain, stringify([HEADER, ...rows.map(([w, o, text], i) => [`C${i}`, String(i + 1), ...w, ...o, text])]));
        writeFileSync(variant, encode(stringify([HEADER, ...table], { delimiter: d.delimiter, record_delimiter: d.eol, quoted: d.quoteAll }), d.encoding));
        const a = await runCli(['score', plain, '-i', 'wai-sr,ors']);
        const b = await runCli(['score', variant, '-i', 'wai-sr,ors']);
        expect(b.code, b.stderr).toBe(0);
        const ra = readCsvObjects(a.stdout, true);
        const rb = readCsvObjects(b.stdout, true);
        expect(rb).toHaveLength(ra.length);
        ra.forEach((r, i) => {
          for (const c of scoreColumns(r)) expect(rb[i]![c], `${JSON.stringify(d)} row ${i} ${c}`).toBe(r[c]);
          expect(rb[i]!.note).toBe(r.note);
        });
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});

describe('property: no row is ever lost', () => {
  it('random cells (junk, quotes, newlines, labels, numbers) -> one output row per input row; problems point at rows with one', async () => {
    const dir = tempDir();
    let n = 0;
    const cell = fc.oneof(fc.string({ maxLength: 6 }), waiCell, orsCell, fc.constantFrom('"', '""', 'a,b', 'x\ny', '=1+1', '-', 'NA', '7,5'));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(cell, { minLength: 19, maxLength: 19 }), { minLength: 1, maxLength: 8 }), async (cells) => {
        const file = join(dir, `r-${n}.csv`);
        const errors = join(dir, `e-${n++}.csv`);
        const rows = cells.map((c, i) => [`C${i}`, ...c.slice(1)]);
        writeFileSync(file, stringify([HEADER, ...rows]));
        const r = await runCli(['score', file, '-i', 'wai-sr,ors', '--errors', errors]);
        expect(r.code, r.stderr).toBe(0);
        const out = readCsvObjects(r.stdout, true);
        expect(out.map((o) => o.client_id)).toEqual(rows.map((x) => x[0]));
        const invalid = out.filter((o) => o.wai_sr_status === 'invalid' || o.ors_status === 'invalid').length;
        const problems = readCsvObjects(errors);
        expect(new Set(problems.map((p) => p.line)).size).toBe(invalid);
        expect(r.stderr).toContain(`${rows.length} row${rows.length === 1 ? '' : 's'} read`);
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
