/**
 * Bytes of any text encoding -> UTF-8 bytes for the one CSV reader. A BOM decides (UTF-8, UTF-16
 * LE/BE), else UTF-8 unless --encoding names another (any WHATWG label: windows-1252, latin1,
 * utf-16le, shift_jis, …). UTF-8 is read as it is (the reader checks it). UTF-16 is decoded by
 * Node's TextDecoder, strictly. Everything else by iconv-lite: Node 20's TextDecoder maps
 * windows-1252's 0x80–0x9F to C1 controls (nodejs/node#56542), so € would become U+0080. Line
 * breaks are kept as they are, so line numbers are those of the file.
 */
import { isAscii } from 'node:buffer';
import { TextDecoder } from 'node:util';
import iconv from 'iconv-lite';
import { inputError } from '../errors.js';

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

/** Single-byte encodings in which the bytes below 0x80 are ASCII: a chunk without a higher byte is already UTF-8. */
const ASCII_SINGLE_BYTE = /^(windows-125\d|iso-8859-\d+|koi8-[ru]|ibm866|macintosh|windows-874)$/;

const countLines = (text: string): number => {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

/**
 * The chunks of a `encoding` stream (its BOM already removed) as UTF-8 chunks. A sequence that is
 * not valid in the encoding is ENCODING_INVALID with its line (where the decoder can tell).
 */
export async function* toUtf8(chunks: AsyncIterable<Buffer>, encoding: string, name: string): AsyncGenerator<Buffer> {
  let line = 1;
  const invalid = () =>
    inputError('ENCODING_INVALID', `${name} is not valid ${encoding}`, { location: { file: name, line }, hint: 'check --encoding, or save the file as "CSV UTF-8"' });
  if (encoding === 'utf-16le' || encoding === 'utf-16be' || !iconv.encodingExists(encoding)) {
    const decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
    const decode = (bytes: Uint8Array, stream: boolean): Buffer => {
      let text: string;
      try {
        text = decoder.decode(bytes, { stream });
      } catch {
        throw invalid();
      }
      line += countLines(text);
      return Buffer.from(text, 'utf8');
    };
    for await (const chunk of chunks) yield decode(chunk, true);
    const tail = decode(new Uint8Array(0), false);
    if (tail.length > 0) yield tail;
    return;
  }
  const passAscii = ASCII_SINGLE_BYTE.test(encoding);
  const decoder = iconv.getDecoder(encoding);
  for await (const chunk of chunks) {
    if (passAscii && isAscii(chunk)) {
      yield chunk;
      continue;
    }
    yield Buffer.from(decoder.write(chunk), 'utf8');
  }
  const tail = decoder.end();
  if (tail) yield Buffer.from(tail, 'utf8');
}
