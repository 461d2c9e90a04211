/**
 * Bytes of any text encoding -> UTF-8 bytes for the one CSV reader. A BOM decides (UTF-8, UTF-16
 * LE/BE), else UTF-8 unless --encoding names another (any WHATWG label: windows-1252, latin1,
 * utf-16le, shift_jis, …). UTF-8 is read as it is (the reader checks it). Other encodings are
 * decoded as a stream (toUtf8). iconv-lite, not Node's TextDecoder, says what the bytes of the
 * single-byte and East Asian encodings mean: Node 20's TextDecoder maps windows-1252's 0x80–0x9F to
 * C1 controls (nodejs/node#56542), so € would become U+0080.
 */
import { transcode } from 'node:buffer';
import { TextDecoder } from 'node:util';
import iconv from 'iconv-lite';
import { inputError } from '../errors.js';
import { type SingleByteTable, SingleByteTranscoder } from '../kernels/transcode.js';

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

/** The WHATWG name of an encoding label (latin1 and iso-8859-1 are windows-1252 there), or ENCODING_UNKNOWN. */
export function canonicalEncoding(label: string): string {
  try {
    return new TextDecoder(label).encoding;
  } catch {
    throw inputError('ENCODING_UNKNOWN', `unknown encoding "${label}"`, { hint: 'use a name such as utf-8, utf-16le, windows-1252 or latin1' });
  }
}

/** The single-byte encodings of the WHATWG list: every byte is one character, bytes below 0x80 ASCII. */
const SINGLE_BYTE = /^(windows-125\d|windows-874|iso-8859-\d+|koi8-[ru]|ibm866|macintosh|x-mac-cyrillic)$/;

const countLines = (bytes: Uint8Array): number => {
  let n = 0;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  return n;
};

/**
 * A single-byte encoding as a byte -> UTF-8 table, from iconv-lite's mapping: the library says what
 * each byte means; the kernel applies it (iconv-lite's decoding to a string and the re-encoding to
 * UTF-8 took most of a non-UTF-8 run: docs/performance.md). A byte the encoding does not define
 * (iconv-lite gives U+FFFD: windows-1252's 0x81, 0x8D, 0x8F, 0x90, 0x9D) has length 0.
 */
export function singleByteTable(encoding: string): SingleByteTable {
  const chars = [...iconv.decode(Buffer.from(Array.from({ length: 256 }, (_, i) => i)), encoding)];
  if (chars.length !== 256) throw new Error(`${encoding} is not a single-byte encoding`);
  const utf8 = new Uint8Array(256 * 4);
  const length = new Uint8Array(256);
  chars.forEach((ch, i) => {
    if (ch === '\uFFFD') return;
    const bytes = Buffer.from(ch, 'utf8');
    utf8.set(bytes, 4 * i);
    length[i] = bytes.length;
  });
  return { utf8, length };
}

/** The index of the first code unit of UTF-16 LE text that is a lone surrogate, or -1. */
function loneSurrogate(b: Uint8Array): number {
  for (let i = 0; i + 1 < b.length; i += 2) {
    const u = b[i]! | (b[i + 1]! << 8);
    if (u >= 0xd800 && u <= 0xdbff) {
      const v = i + 3 < b.length ? b[i + 2]! | (b[i + 3]! << 8) : -1;
      if (v >= 0xdc00 && v <= 0xdfff) i += 2;
      else return i;
    } else if (u >= 0xdc00 && u <= 0xdfff) return i;
  }
  return -1;
}

/**
 * The chunks of a `encoding` stream (its BOM already removed) as UTF-8 chunks. Line breaks are
 * kept as they are, so line numbers are those of the file. A byte sequence that is not valid in the
 * encoding is ENCODING_INVALID with its line. UTF-16 goes through Node's transcode (ICU, strict),
 * the single-byte encodings through a table made from iconv-lite's, any other encoding iconv-lite
 * knows through iconv-lite, and the rest through Node's TextDecoder (strict).
 */
export async function* toUtf8(chunks: AsyncIterable<Buffer>, encoding: string, name: string): AsyncGenerator<Buffer> {
  let line = 1;
  const invalid = (what: string) =>
    inputError('ENCODING_INVALID', `${name} is not valid ${encoding}${what}`, { location: { file: name, line }, hint: 'check --encoding, or save the file as "CSV UTF-8"' });

  if (encoding === 'utf-16le' || encoding === 'utf-16be') {
    let carry: Buffer | undefined;
    const convert = (bytes: Buffer, final: boolean): Buffer => {
      const b = carry ? Buffer.concat([carry, bytes]) : bytes;
      let end = b.length - (b.length & 1);
      if (!final && end >= 2) {
        const last = encoding === 'utf-16le' ? b[end - 2]! | (b[end - 1]! << 8) : (b[end - 2]! << 8) | b[end - 1]!;
        if (last >= 0xd800 && last <= 0xdbff) end -= 2; // the pair's second half comes next
      }
      carry = end < b.length ? Buffer.from(b.subarray(end)) : undefined;
      if (final && carry) throw invalid(' (the file ends in the middle of a character)');
      const le = encoding === 'utf-16le' ? b.subarray(0, end) : Buffer.from(b.subarray(0, end)).swap16();
      let out: Buffer;
      try {
        out = transcode(le, 'utf16le', 'utf8');
      } catch {
        const at = loneSurrogate(le);
        line += countLines(transcode(le.subarray(0, Math.max(0, at)), 'utf16le', 'utf8'));
        throw invalid(' (a lone surrogate code unit)');
      }
      line += countLines(out);
      return out;
    };
    for await (const chunk of chunks) yield convert(chunk, false);
    const tail = convert(Buffer.alloc(0), true);
    if (tail.length > 0) yield tail;
    return;
  }

  if (SINGLE_BYTE.test(encoding) && iconv.encodingExists(encoding)) {
    const transcoder = new SingleByteTranscoder(singleByteTable(encoding));
    for await (const chunk of chunks) {
      const { out, lines, undefinedAt } = transcoder.run(chunk);
      line += lines;
      if (undefinedAt >= 0) throw invalid(` (byte 0x${chunk[undefinedAt]!.toString(16).padStart(2, '0')} is not a character of ${encoding})`);
      yield out;
    }
    return;
  }

  if (iconv.encodingExists(encoding)) {
    const decoder = iconv.getDecoder(encoding);
    for await (const chunk of chunks) yield Buffer.from(decoder.write(chunk), 'utf8');
    const tail = decoder.end();
    if (tail) yield Buffer.from(tail, 'utf8');
    return;
  }

  const decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  const decode = (bytes: Uint8Array, stream: boolean): Buffer => {
    let text: string;
    try {
      text = decoder.decode(bytes, { stream });
    } catch {
      throw invalid('');
    }
    const out = Buffer.from(text, 'utf8');
    line += countLines(out);
    return out;
  };
  for await (const chunk of chunks) yield decode(chunk, true);
  const tail = decode(new Uint8Array(0), false);
  if (tail.length > 0) yield tail;
}
