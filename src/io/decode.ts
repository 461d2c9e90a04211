/**
 * Bytes -> text for response files: a BOM decides (UTF-8, UTF-16 LE/BE); otherwise UTF-8, strictly,
 * unless --encoding names another (any WHATWG label: windows-1252, latin1, utf-16le, …). A byte
 * sequence that is not valid in the encoding, or a NUL in a text file, is unusable input with the
 * line it is on.
 */
import { TextDecoder } from 'node:util';
import { inputError } from '../errors.js';

export interface Decoded {
  /** The encoding used, as TextDecoder names it. */
  encoding: string;
  /** How it was chosen. */
  source: 'bom' | 'default' | 'option';
}

/**
 * Windows-1252 bytes 0x80–0x9F (WHATWG Encoding Standard, index windows-1252). Node 20's TextDecoder
 * maps them to C1 controls (nodejs/node#56542), which would turn € into U+0080, so rapport decodes
 * this encoding itself; the other bytes equal their Latin-1 code points.
 */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

/** A TextDecoder-shaped decoder for windows-1252 (single-byte, so chunk boundaries need no care). */
class Windows1252Decoder {
  readonly encoding = 'windows-1252';
  decode(bytes: Uint8Array): string {
    let out = '';
    for (let i = 0; i < bytes.length; i += 8192) {
      const part = bytes.subarray(i, i + 8192);
      out += String.fromCharCode(...Array.from(part, (b) => (b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80]! : b)));
    }
    return out;
  }
}

/** The encoding a file's first bytes announce, and the BOM's length. */
export function sniffBom(head: Uint8Array): { encoding: string; bomLength: number } | undefined {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bomLength: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bomLength: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bomLength: 2 };
  return undefined;
}

/** Index of the first byte that is not part of valid UTF-8 (Unicode 15, table 3-7), or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let n = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined) return i;
      const [l, h] = k === 1 ? [lo, hi] : [0x80, 0xbf];
      if (x < l || x > h) return i;
    }
    i += n + 1;
  }
  return -1;
}

const countNewlines = (b: Uint8Array, end: number): number => {
  let n = 0;
  for (let i = 0; i < end; i++) if (b[i] === 0x0a) n++;
  return n;
};

/**
 * Decodes a byte stream to text chunks. `label` forces an encoding; else a BOM decides, else
 * strict UTF-8. Throws ENCODING_INVALID or CSV_BINARY with the file line.
 */
export async function* decodeStream(bytes: AsyncIterable<Buffer | string>, name: string, label: string | undefined, info: (d: Decoded) => void): AsyncGenerator<string> {
  let decoder: Pick<TextDecoder, 'encoding'> & { decode(b: Uint8Array, o?: { stream?: boolean }): string } | undefined;
  let utf8 = false;
  let line = 1;
  let offset = 0;
  let pending: Buffer | undefined; // the first bytes, until a BOM can be judged
  const fail = (code: string, message: string, atLine: number, hint: string) => inputError(code, message, { location: { file: name, line: atLine }, hint });

  const start = (head: Buffer): Buffer => {
    const bom = sniffBom(head);
    let encoding: string;
    let source: Decoded['source'];
    if (label !== undefined) {
      encoding = label;
      source = 'option';
    } else if (bom) {
      encoding = bom.encoding;
      source = 'bom';
    } else {
      encoding = 'utf-8';
      source = 'default';
    }
    try {
      decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: false });
      if (decoder.encoding === 'windows-1252') decoder = new Windows1252Decoder();
    } catch {
      throw inputError('ENCODING_UNKNOWN', `unknown encoding "${encoding}"`, { hint: 'use a name such as utf-8, utf-16le, windows-1252 or latin1' });
    }
    utf8 = decoder.encoding === 'utf-8';
    info({ encoding: decoder.encoding, source });
    return head;
  };

  const decode = (chunk: Buffer, final: boolean): string => {
    if (utf8) {
      for (let i = 0; i < chunk.length; i++) {
        if (chunk[i] === 0) throw fail('CSV_BINARY', `${name} is not a text file (it contains NUL bytes; the first at byte ${offset + i + 1})`, line + countNewlines(chunk, i), 'is this a spreadsheet or another binary file? save it as CSV, or pass an .xlsx file by name');
      }
    }
    let text: string;
    try {
      text = decoder!.decode(chunk, { stream: !final });
    } catch {
      const at = utf8 ? firstInvalidUtf8(chunk) : -1;
      const where = at >= 0 ? line + countNewlines(chunk, at) : line;
      throw fail(
        'ENCODING_INVALID',
        `${name} is not valid ${decoder!.encoding}${at >= 0 ? ` (byte 0x${chunk[at]!.toString(16).padStart(2, '0')} cannot start or continue a character)` : ''}`,
        where,
        utf8 ? 'the file is probably in a Windows or Latin encoding: try --encoding windows-1252 (or latin1), or save it as "CSV UTF-8"' : 'check --encoding',
      );
    }
    offset += chunk.length;
    if (!utf8 && text.includes('\u0000')) throw fail('CSV_BINARY', `${name} is not a text file (it contains NUL characters)`, line, 'is this the right file?');
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) line++;
    return text;
  };

  for await (const raw of bytes) {
    let chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    if (!decoder) {
      pending = pending ? Buffer.concat([pending, chunk]) : chunk;
      if (pending.length < 3) continue;
      chunk = start(pending);
      pending = undefined;
    }
    const text = decode(chunk, false);
    if (text) yield text;
  }
  if (!decoder) {
    if (!pending || pending.length === 0) {
      info({ encoding: 'utf-8', source: 'default' });
      return;
    }
    start(pending);
    const text = decode(pending, true);
    if (text) yield text;
    return;
  }
  const tail = decode(Buffer.alloc(0), true);
  if (tail) yield tail;
}
