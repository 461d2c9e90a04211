/**
 * The one CSV reader (src/input/csv-reader.ts) against csv-parse, an independent parser: the same
 * text in chunks of random size must give the same records with the same line numbers, or fail
 * with the same error; the same text in UTF-16 or Windows-1252 (turned into UTF-8 before the
 * reader) must read exactly as the UTF-8 bytes; and the WebAssembly line splitter must give what
 * the JavaScript loop gives.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RapportError } from '../../src/errors.js';
import { type FastBatch, FastRecord, RepeatedCell } from '../../src/input/csv-batch.js';
import { fastBatches } from '../../src/input/csv-reader.js';
import { readSession } from '../../src/input/presets.js';
import { openTable } from '../../src/input/table.js';

type Outcome = { header: string[]; rows: Array<{ line: number; fields: string[] }> } | { error: string; line: number | undefined };

const chunked = (bytes: Buffer, chunkSizes: number[]): Buffer[] => {
  const chunks: Buffer[] = [];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const n = chunkSizes.length > 0 ? chunkSizes[k % chunkSizes.length]! : bytes.length;
    chunks.push(bytes.subarray(at, at + n));
    at += n;
  }
  return chunks;
};

/** A file read as rapport reads it: the header and every record with its line, or the error. */
async function read(bytes: Buffer, chunkSizes: number[], encoding?: string): Promise<Outcome> {
  try {
    const t = await openTable('-', Readable.from(chunked(bytes, chunkSizes)), { delimiter: ',', ...(encoding ? { encoding } : {}) });
    const rows: Array<{ line: number; fields: string[] }> = [];
    for await (const b of t.batches) for (let j = 0; j < b.length; j++) rows.push({ line: b.at(j).line, fields: [...b.at(j).fields] });
    return { header: t.header, rows };
  } catch (err) {
    if (!(err instanceof RapportError)) throw err;
    return { error: err.code, line: err.location?.line };
  }
}

/**
 * The reference: csv-parse's records of the text, each with the line it starts on. csv-parse counts
 * the lines a record ends on, and a CRLF inside quotes as two: the start line is worked out from
 * those counts (what rapport's earlier csv-parse path did).
 */
function reference(text: string): Array<{ line: number; fields: string[] }> {
  const records = parse(text, { info: true, skip_empty_lines: true, relax_column_count: true }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  let drift = 0;
  return records.map(({ record, info }) => {
    let counted = 0;
    let crlf = 0;
    for (const f of record) {
      for (let i = 0; i < f.length; i++) {
        const c = f.charCodeAt(i);
        if (c === 0x0a) counted++;
        else if (c === 0x0d) {
          counted++;
          if (f.charCodeAt(i + 1) === 0x0a) {
            counted++;
            crlf++;
            i++;
          }
        }
      }
    }
    const line = info.lines - counted - drift;
    drift += crlf;
    return { line, fields: record };
  });
}

const utf16 = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);

describe('the reader = csv-parse', () => {
  it('valid files of quoted and plain cells, CRLF or LF, with and without a final line break, in any chunks', async () => {
    const cell = fc.oneof(fc.constantFrom('', '1', '7', ' 4 ', 'Always', '=SUM(A1)', '-', 'x"y', 'a,b', 'two\nlines', 'cr\r\nlf', 'é€'), fc.string({ maxLength: 5 }).filter((c) => !c.includes('\r')));
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
          const expected = reference(t);
          const got = await read(Buffer.from(t, 'utf8'), sizes);
          expect(got, JSON.stringify(t)).toEqual({ header: expected[0]!.fields, rows: expected.slice(1) });
        },
      ),
      { numRuns: 300 },
    );
  }, 120_000);

  it('malformed text: an error where csv-parse fails on quotes; else the same records, or a structural error', async () => {
    const piece = fc.constantFrom('a', '1', ' ', 'é', ',', '"', '""', '\n', '=x', '-2', '3');
    const text = fc.array(piece, { maxLength: 60 }).map((p) => `h1,h2,h3\n${p.join('')}`);
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.integer({ min: 1, max: 17 }), { maxLength: 5 }), async (t, sizes) => {
        let expected: ReturnType<typeof reference> | undefined;
        try {
          expected = reference(t);
        } catch {
          expected = undefined;
        }
        const got = await read(Buffer.from(t, 'utf8'), sizes);
        // A ragged row before the bad quote is reported first: any error of the reader is right then.
        if (expected === undefined) expect('error' in got, JSON.stringify(t)).toBe(true);
        else if ('error' in got) expect(['CSV_RAGGED_ROW', 'CSV_NO_ROWS']).toContain(got.error);
        else expect(got, JSON.stringify(t)).toEqual({ header: expected[0]!.fields, rows: expected.slice(1) });
      }),
      { numRuns: 500 },
    );
  }, 120_000);
});

describe('other encodings are read as the same text in UTF-8 (same records, same lines)', () => {
  it('UTF-16 with a BOM, and Windows-1252, whatever the chunks', async () => {
    const cell = fc.oneof(fc.constantFrom('', '1', 'x', 'a,b', 'two\nlines', 'cr\r\nlf', 'lone\rcr', 'Müller, José', '€ “quoted”', '"', ''), fc.string({ maxLength: 4 }).filter((c) => /^[\x20-\x7e]*$/.test(c)));
    const quote = (c: string) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
    const iconv = (await import('iconv-lite')).default;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(cell, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 6 }), fc.constantFrom('\n', '\r\n'), fc.array(fc.integer({ min: 1, max: 19 }), { maxLength: 4 }), async (rows, eol, sizes) => {
        const t = `c1,c2${eol}${rows.map((r) => r.map(quote).join(',')).join(eol)}${eol}`;
        const utf8 = await read(Buffer.from(t, 'utf8'), sizes);
        expect(await read(utf16(t), sizes), JSON.stringify(t)).toEqual(utf8);
        expect(await read(iconv.encode(t, 'windows-1252'), sizes, 'windows-1252'), JSON.stringify(t)).toEqual(utf8);
      }),
      { numRuns: 200 },
    );
  }, 60_000);

  it('a batch boundary does not move line numbers or errors (2 MB of rows, a ragged row at the end)', async () => {
    const lines = ['id,a,b'];
    for (let i = 0; i < 60_000; i++) lines.push(i % 1000 === 7 ? `"q${i}\n",${i % 7},"x""y"` : `r${i},${i % 7},z`);
    lines.push('bad,row');
    const t = `${lines.join('\r\n')}\r\n`;
    expect(await read(Buffer.from(t, 'utf8'), [65_536, 1 << 20])).toEqual({ error: 'CSV_RAGGED_ROW', line: 60_062 });
    expect(await read(utf16(t), [])).toEqual({ error: 'CSV_RAGGED_ROW', line: 60_062 });
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
    expect([0, 1, 2].map((i) => record.text(i))).toEqual(['a8', 'x', '24']);
    // A second reader splits its own text in the same kernel memory, over the lent bounds.
    const second = fastBatches(Readable.from([text((f) => [f[2]!, f[0]!, f[1]!])]), { name: 'b.csv', delimiter: 0x2c, wasm: true })[Symbol.asyncIterator]();
    const other = (await second.next()).value as FastBatch;
    expect([...other.at(10).fields]).toEqual(['30', 'a10', 'xxx']);
    // The first batch, and the record it gave last, still read their own text.
    expect(record.text(1)).toBe('x');
    expect(record.text(2)).toBe('24');
    expect([...batch.at(13).fields]).toEqual(['a13', 'xxxxxx', '39']);
  });
});

describe('WebAssembly line splitter (src/kernels/split.wat) = the JavaScript loop', () => {
  it('gives the same batches, field bounds, formula flags and line numbers, or the same error', async () => {
    const piece = fc.constantFrom('a', '12', ' ', 'é', ',', ';', '\t', '"', '""', '\n', '\r\n', '\r', '\n\n', '=x', '-2', '+', '@', 'abcdefghijklmnopq', ',,,,,,,,,,,,,,,,,');
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 80 }), fc.constantFrom(0x2c, 0x3b, 0x09), fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 5 }), async (p, delimiter, sizes) => {
        const bytes = Buffer.from(p.join(''), 'utf8');
        const js = await batchDump(bytes, sizes, delimiter, false);
        expect(await batchDump(bytes, sizes, delimiter, true), JSON.stringify(p.join(''))).toEqual(js);
      }),
      { numRuns: 600 },
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

  it('reads the rows of a UTF-16 file (turned into UTF-8) the same way', async () => {
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
        const cell = (i: number) => r.text(i);
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
