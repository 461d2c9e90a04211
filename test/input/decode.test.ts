/**
 * The decoder in front of the CSV reader (src/input/decode.ts): other encodings become the same
 * text in UTF-8, whatever the chunks, checked against independent decoders (iconv-lite's own
 * decode, Node's TextDecoder); bytes that are not text in the encoding stop the run with the line.
 */
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { RapportError } from '../../src/errors.js';
import { singleByteTable, toUtf8 } from '../../src/input/decode.js';
import { SingleByteTranscoder, transcodeSingleByteJs } from '../../src/kernels/transcode.js';

/** bytes cut into chunks of the given sizes (cycled), decoded; the UTF-8 text or the error's code and line. */
async function decode(bytes: Uint8Array, encoding: string, sizes: number[]): Promise<string | { code: string; line: number | undefined }> {
  async function* chunks() {
    for (let at = 0, k = 0; at < bytes.length; k++) {
      const n = sizes.length > 0 ? sizes[k % sizes.length]! : bytes.length;
      yield Buffer.from(bytes.subarray(at, at + n));
      at += n;
    }
  }
  const out: Buffer[] = [];
  try {
    for await (const c of toUtf8(chunks(), encoding, 'x.csv')) out.push(Buffer.from(c));
  } catch (err) {
    if (!(err instanceof RapportError)) throw err;
    return { code: err.code, line: err.location?.line };
  }
  return Buffer.concat(out).toString('utf8');
}

const SINGLE_BYTE = ['windows-1252', 'windows-1250', 'windows-1251', 'iso-8859-2', 'iso-8859-15', 'koi8-r', 'ibm866', 'macintosh'];
const sizes = fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 4 });

describe('single-byte encodings', () => {
  it.each(SINGLE_BYTE)('%s: any defined bytes, any chunks, give what iconv-lite decodes', async (encoding) => {
    const table = singleByteTable(encoding);
    const defined = Array.from({ length: 256 }, (_, i) => i).filter((b) => table.length[b]! > 0);
    // Long ASCII runs too, so the kernel's sixteen-byte steps are taken.
    const piece = fc.oneof(fc.constantFrom(...defined).map((b) => [b]), fc.constantFrom([...Buffer.from('client,1,2,3\n')], [...Buffer.from('0123456789abcdefghij,"x"\r\n')]));
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 80 }), sizes, async (pieces, cut) => {
        const bytes = Uint8Array.from(pieces.flat());
        expect(await decode(bytes, encoding, cut)).toBe(iconv.decode(Buffer.from(bytes), encoding));
      }),
      { numRuns: 150 },
    );
  });

  it('the kernel and the JavaScript loop agree byte for byte and count the same line feeds', () => {
    const table = singleByteTable('windows-1252');
    const kernel = new SingleByteTranscoder(table);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const a = kernel.run(bytes);
        const b = transcodeSingleByteJs(bytes, table);
        expect({ ...a, out: [...a.out] }).toEqual({ ...b, out: [...b.out] });
      }),
      { numRuns: 500 },
    );
  });

  it('a byte the encoding does not define is ENCODING_INVALID at its line, never U+FFFD in the data', async () => {
    const text = Buffer.concat([Buffer.from('id,note\n1,ok\n2,caf'), Buffer.from([0xe9, 0x0a]), Buffer.from('3,bad'), Buffer.from([0x81]), Buffer.from('\n')]);
    for (const cut of [[], [1], [5, 3], [17]]) expect(await decode(text, 'windows-1252', cut)).toEqual({ code: 'ENCODING_INVALID', line: 4 });
    expect(await decode(text.subarray(0, text.indexOf(0x81)), 'windows-1252', [])).toBe('id,note\n1,ok\n2,café\n3,bad');
  });
});

describe('UTF-16', () => {
  const unicode = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => `${s}\n${s.replace(/\n/g, '')}😀\r\n`);
  it.each(['utf-16le', 'utf-16be'])('%s: any text (astral characters included), any chunks, gives what TextDecoder gives', async (encoding) => {
    await fc.assert(
      fc.asyncProperty(unicode, sizes, async (text, cut) => {
        const le = Buffer.from(text, 'utf16le');
        const bytes = encoding === 'utf-16le' ? le : Buffer.from(le).swap16();
        expect(await decode(bytes, encoding, cut)).toBe(new TextDecoder(encoding, { fatal: true }).decode(bytes));
      }),
      { numRuns: 200 },
    );
  });

  it('a lone surrogate, or a file cut in the middle of a character, is ENCODING_INVALID at its line', async () => {
    const lone = Buffer.concat([Buffer.from('a,b\n1,2\n3,', 'utf16le'), Buffer.from([0x3d, 0xd8]), Buffer.from('x\n', 'utf16le')]);
    for (const cut of [[], [1], [3, 4], [9]]) expect(await decode(lone, 'utf-16le', cut)).toEqual({ code: 'ENCODING_INVALID', line: 3 });
    const cutShort = Buffer.concat([Buffer.from('a,b\n1,2\n', 'utf16le'), Buffer.from([0x41])]);
    expect(await decode(cutShort, 'utf-16le', [])).toMatchObject({ code: 'ENCODING_INVALID' });
    const pairCut = Buffer.concat([Buffer.from('a,b\n', 'utf16le'), Buffer.from('😀', 'utf16le').subarray(0, 2)]);
    expect(await decode(pairCut, 'utf-16le', [])).toMatchObject({ code: 'ENCODING_INVALID' });
  });
});
