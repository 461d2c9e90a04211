/**
 * The byte-level reader (src/io/fast-csv.ts) against csv-parse: the same text, read as UTF-8 in
 * chunks of random size (the fast path) and as UTF-16 (csv-parse), must give the same records with
 * the same line numbers, or fail with the same error code on the same line.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RapportError } from '../../src/errors.js';
import { cellText, type FastBatch, fastBatches, FastRecord, RepeatedCell } from '../../src/io/fast-csv.js';
import { readSession } from '../../src/io/presets.js';
import { openTable } from '../../src/io/table.js';
import { WASM_BASE64 } from '../../src/stats/wasm/split.js';
// @ts-expect-error: a plain JavaScript build script without type declarations
import { compileWat, kernelModule } from '../../src/stats/wasm/compile.mjs';

type Outcome = { header: string[]; rows: Array<{ line: number; fields: string[] }> } | { error: string; line: number | undefined };

async function read(bytes: Buffer, chunkSizes: number[]): Promise<{ outcome: Outcome; fast: boolean }> {
  const chunks: Buffer[] = [];
  let at = 0;
  for (let k = 0; at < bytes.length; k++) {
    const n = chunkSizes.length > 0 ? chunkSizes[k % chunkSizes.length]! : bytes.length;
    chunks.push(bytes.subarray(at, at + n));
    at += n;
  }
  let fast = false;
  try {
    const t = await openTable('-', Readable.from(chunks), { delimiter: ',' });
    fast = t.fast === true;
    const rows: Array<{ line: number; fields: string[] }> = [];
    for await (const b of t.batches) for (let j = 0; j < b.length; j++) rows.push({ line: b.at(j).line, fields: [...b.at(j).fields] });
    return { outcome: { header: t.header, rows }, fast };
  } catch (err) {
    if (!(err instanceof RapportError)) throw err;
    return { outcome: { error: err.code, line: err.location?.line }, fast };
  }
}

const utf16 = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);

describe('fast reader = csv-parse', () => {
  it('well-formed and malformed text, any chunking', async () => {
    // One line ending a file: csv-parse takes the record delimiter from the first line break it meets,
    // so in a file mixing LF, CRLF and lone CR it reads the others as data; rapport takes each as a line break.
    const piece = fc.constantFrom('a', '1', ' ', 'é', ',', '"', '""', '\n', '=x', '-2', '3');
    const text = fc.tuple(fc.array(piece, { maxLength: 60 }), fc.boolean()).map(([p, crlf]) => `h1,h2,h3\n${p.join('')}`.replace(/\n/g, crlf ? '\r\n' : '\n'));
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.integer({ min: 1, max: 17 }), { maxLength: 5 }), async (t, sizes) => {
        const a = await read(Buffer.from(t, 'utf8'), sizes);
        const b = await read(utf16(t), []);
        if ('header' in a.outcome) expect([a.fast, b.fast]).toEqual([true, false]);
        if ('error' in a.outcome && 'error' in b.outcome && (a.outcome.error === 'CSV_UNCLOSED_QUOTE' || t.includes('\r'))) {
          // Where the csv-parse path can only approximate the line (the fast reader is exact):
          // - csv-parse does not say where an unclosed quote opens: that path names the line after the
          //   last good record ("on or after this line"), earlier when empty lines come between;
          // - csv-parse counts a CRLF inside quotes as two lines, and for the failing record that path
          //   cannot take them back, so it may name a later line.
          expect(b.outcome.error).toBe(a.outcome.error);
          if (a.outcome.error === 'CSV_UNCLOSED_QUOTE') expect(a.outcome.line!).toBeGreaterThanOrEqual(b.outcome.line!);
          else expect(a.outcome.line!).toBeLessThanOrEqual(b.outcome.line!);
          return;
        }
        expect(a.outcome, JSON.stringify(t)).toEqual(b.outcome);
      }),
      { numRuns: 600 },
    );
  }, 120_000);

  it('valid files of quoted and plain cells, CRLF or LF, with and without a final line break', async () => {
    const cell = fc.oneof(fc.constantFrom('', '1', '7', ' 4 ', 'Always', '=SUM(A1)', '-', 'x"y', 'a,b', 'two\nlines', 'cr\r\nlf', 'lone\rcr'), fc.string({ maxLength: 5 }));
    const quote = (c: string) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(cell, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 23 }), { maxLength: 4 }),
        async (rows, eol, finalEol, sizes) => {
          const body = rows.map((r) => r.map(quote).join(',')).join(eol);
          const t = `c1,c2,c3${eol}${body}${finalEol ? eol : ''}`;
          const a = await read(Buffer.from(t, 'utf8'), sizes);
          const b = await read(utf16(t), []);
          expect(a.outcome, JSON.stringify(t)).toEqual(b.outcome);
        },
      ),
      { numRuns: 400 },
    );
  }, 120_000);

  it('a batch boundary does not move line numbers or errors (2 MB of rows, a ragged row at the end)', async () => {
    const lines = ['id,a,b'];
    for (let i = 0; i < 60_000; i++) lines.push(i % 1000 === 7 ? `"q${i}\n",${i % 7},"x""y"` : `r${i},${i % 7},z`);
    lines.push('bad,row');
    const t = `${lines.join('\r\n')}\r\n`;
    const a = await read(Buffer.from(t, 'utf8'), [65_536, 1 << 20]);
    const b = await read(utf16(t), []);
    expect(a.outcome).toEqual(b.outcome);
    expect(a.outcome).toEqual({ error: 'CSV_RAGGED_ROW', line: 60_062 });
  }, 60_000);
});

/** Everything a batch records, batch by batch (or the error), read with or without the WebAssembly line splitter. */
async function batchDump(bytes: Buffer, chunkSizes: number[], delimiter: number, wasm: boolean): Promise<unknown[]> {
  const chunks: Buffer[] = [];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const n = chunkSizes.length > 0 ? chunkSizes[k % chunkSizes.length]! : bytes.length;
    chunks.push(bytes.subarray(at, at + n));
    at += n;
  }
  const out: unknown[] = [];
  const dump = (b: FastBatch) => {
    const f = b.nFields;
    return {
      records: [b.line, b.start, b.end, b.field, b.count, b.formulaLike].map((a) => [...a.subarray(b.first, b.n)]),
      fields: [b.fieldStart, b.fieldEnd, b.quoted].map((a) => [...a.subarray(0, f)]),
    };
  };
  try {
    for await (const b of fastBatches(Readable.from(chunks), { name: 'x.csv', delimiter, wasm })) out.push(dump(b));
  } catch (err) {
    if (!(err instanceof RapportError)) throw err;
    out.push({ error: err.code, line: err.location?.line });
  }
  return out;
}

describe('field bounds lent from the kernel (FastBatch.lend)', () => {
  it('a record keeps its fields when another reader reuses the kernel: the bounds are copied first', async () => {
    // Two texts of the same length (so the kernel puts their field bounds at the same place) whose
    // fields lie elsewhere in each line.
    const row = (i: number) => [`a${i}`, 'x'.repeat(i % 7), String(i * 3)];
    const text = (order: (f: string[]) => string[]) => Buffer.from(Array.from({ length: 50 }, (_, i) => order(row(i)).join(',')).join('\n') + '\n');
    const first = fastBatches(Readable.from([text((f) => f)]), { name: 'a.csv', delimiter: 0x2c, wasm: true })[Symbol.asyncIterator]();
    const batch = (await first.next()).value as FastBatch;
    const record = batch.at(8);
    expect([0, 1, 2].map((i) => cellText(record, i))).toEqual(['a8', 'x', '24']);
    // A second reader splits its own text in the same kernel memory, over the lent bounds.
    const second = fastBatches(Readable.from([text((f) => [f[2]!, f[0]!, f[1]!])]), { name: 'b.csv', delimiter: 0x2c, wasm: true })[Symbol.asyncIterator]();
    const other = (await second.next()).value as FastBatch;
    expect([...other.at(10).fields]).toEqual(['30', 'a10', 'xxx']);
    // The first batch, and the record it gave last, still read their own text.
    expect(cellText(record, 1)).toBe('x');
    expect(cellText(record, 2)).toBe('24');
    expect([...batch.at(13).fields]).toEqual(['a13', 'xxxxxx', '39']);
  });
});

describe('WebAssembly line splitter (src/stats/wasm/split.wat) = the JavaScript loop', () => {
  it('is committed as compiled from split.wat (run npm run generate after editing it)', async () => {
    const source = readFileSync(new URL('../../src/stats/wasm/split.wat', import.meta.url), 'utf8');
    const bytes: Uint8Array = await compileWat('split.wat', source);
    expect(Buffer.from(bytes).toString('base64')).toBe(WASM_BASE64);
    expect(readFileSync(new URL('../../src/stats/wasm/split.ts', import.meta.url), 'utf8')).toBe(kernelModule('split.wat', bytes));
  });

  it('gives the same batches, field bounds, formula flags and line numbers, or the same error', async () => {
    const piece = fc.constantFrom('a', '12', ' ', 'é', ',', ';', '\t', '"', '""', '\n', '\r\n', '\r', '\n\n', '=x', '-2', '+', '@', 'abcdefghijklmnopq', ',,,,,,,,,,,,,,,,,');
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 80 }), fc.constantFrom(0x2c, 0x3b, 0x09), fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 5 }), async (p, delimiter, sizes) => {
        const bytes = Buffer.from(p.join(''), 'utf8');
        const js = await batchDump(bytes, sizes, delimiter, false);
        expect(await batchDump(bytes, sizes, delimiter, true), JSON.stringify(p.join(''))).toEqual(js);
      }),
      { numRuns: 1500 },
    );
  }, 120_000);

  it('on large buffers: lines across chunks, a line over 64 KB, a chunk over 1 MB, the memory grown', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++) lines.push(i === 500 ? `x,${'y'.repeat(70_000)}` : i % 997 === 3 ? `"q${i}",${i % 7}` : `r${i},${i % 7},=z,${i}`);
    const bytes = Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
    for (const sizes of [[256 << 10], [65_536, 1 << 21], []]) {
      expect(await batchDump(bytes, sizes, 0x2c, true)).toEqual(await batchDump(bytes, sizes, 0x2c, false));
    }
  }, 60_000);
});

describe('RepeatedCell', () => {
  it('gives each row its own cell text, reusing the string only for the same bytes', async () => {
    const long = 'x'.repeat(100);
    const ids = ['C1', 'C1', 'C1', 'C10', 'C1', '"C1"', '"C""1"', '"C""1"', 'Ç1', 'Ç1', 'C2', long, long, `${long}y`, '', '', 'C2'];
    const text = `id,v\n${ids.map((id, i) => `${id},${i}`).join('\n')}\n`;
    // Chunks of 7 bytes: rows (and their buffers) change under the cache all the time.
    for (const chunking of [[7], []]) {
      const t = await openTable('-', Readable.from(chunking.length ? Array.from({ length: Math.ceil(text.length / 7) }, (_, k) => Buffer.from(text).subarray(k * 7, k * 7 + 7)) : [Buffer.from(text)]), { delimiter: ',' });
      const cell = new RepeatedCell(0);
      const got: string[] = [];
      for await (const b of t.batches) for (let j = 0; j < b.length; j++) got.push(cell.get(b.at(j)));
      expect(got).toEqual(['C1', 'C1', 'C1', 'C10', 'C1', 'C1', 'C"1', 'C"1', 'Ç1', 'Ç1', 'C2', long, long, `${long}y`, '', '', 'C2']);
    }
  });

  it('reads rows of the csv-parse path (non-UTF-8) by their fields', async () => {
    const t = await openTable('-', Readable.from([utf16('id,v\nA,1\nA,2\nB,3\n')]), { delimiter: ',' });
    const cell = new RepeatedCell(0);
    const got: string[] = [];
    for await (const b of t.batches) for (let j = 0; j < b.length; j++) got.push(cell.get(b.at(j)));
    expect(got).toEqual(['A', 'A', 'B']);
  });
});

describe('readSession with numbers read from the bytes', () => {
  it('gives what the text rule gives, for any session cell', async () => {
    const cells = ['3', ' 4 ', '+5', '5.0', '5.', '2.5', '1e3', '', 'x', '-0', '-2', '007', '12345678901234567', '"6"', '"7 "', '0x10', '.5', '"5,0"', '\t8'];
    const src = { kind: 'column' as const, index: 0, name: 'session' };
    // (The first two rows come as plain records, held back to look for Qualtrics header rows.)
    const cells2 = ['1', '2', ...cells];
    const text2 = `session,v\n${cells2.map((c, i) => `${c},${i}`).join('\n')}\n`;
    const t2 = await openTable('-', Readable.from([Buffer.from(text2)]), { delimiter: ',' });
    let n = 0;
    let fast = 0;
    for await (const b of t2.batches) {
      for (let j = 0; j < b.length; j++) {
        const r = b.at(j);
        const cell = (i: number) => cellText(r, i);
        if (r instanceof FastRecord) {
          fast++;
          expect(readSession(cell, src, (i) => r.number(i, false)), cells2[n]).toEqual(readSession(cell, src));
        }
        n++;
      }
    }
    expect(n).toBe(cells2.length);
    expect(fast).toBeGreaterThanOrEqual(cells.length);
  });
});
