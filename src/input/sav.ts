/**
 * Reading an SPSS system file (.sav, and .zsav) as rows of text cells, streamed: the dictionary
 * (variables, long names, very long strings, missing values, value labels, encoding) is read from
 * the front of the file, then the cases a chunk at a time, uncompressed, bytecode-compressed or (in
 * a .zsav) zlib-compressed blocks of bytecode, each inflated by node:zlib on its own. The header is
 * the variable names (the long names when the file has them); each case is a row whose "line" is
 * its case number + 1 (the header is line 1), so a problem names the case. Numbers become their
 * shortest decimal text, dates (DATE, ADATE, EDATE, SDATE, JDATE, …) ISO dates, date-times
 * (DATETIME, YMDHMS) ISO date-times, strings their text right-trimmed; system-missing and
 * user-missing values are empty cells. With value labels, a number that has a label is given as
 * the label. A file cut short, in the dictionary or in the data, is refused (SAV_UNREADABLE): the
 * number of cases the header announces must all be there. (No npm reader was correct: sav-reader
 * 2.0.8 garbles very long strings, gives system-missing as -1.8e308 in uncompressed files and
 * reads no .zsav; @codious/sav-reader-writer 1.1.4 reads nothing. Layout: the PSPP manual,
 * "System File Format".)
 */
import { open, type FileHandle } from 'node:fs/promises';
import { promisify, TextDecoder } from 'node:util';
import { inflate as inflateCb } from 'node:zlib';
import iconv from 'iconv-lite';
import { inputError } from '../errors.js';
import { ArrayRecord, batchRecords, findDuplicateHeaders, type Row } from './records.js';
import type { TableSource } from './source.js';

const inflate = promisify(inflateCb);

/** A file that cannot be read as an SPSS system file: SAV_UNREADABLE (exit 3). */
const unreadable = (path: string, why: string, line?: number) =>
  inputError('SAV_UNREADABLE', `cannot read ${path} as an SPSS .sav file: ${why}`, {
    location: line === undefined ? { file: path } : { file: path, line },
    hint: 'is it a whole .sav file (not a .por or .spv, or a copy cut short)? open it in SPSS or PSPP and save it again, or export it as CSV',
  });

/** A failure while reading, with the row (case number + 1) it happened in, if any. */
class SavError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** Bytes read from the file at a time (as the CSV reader does). */
const READ_CHUNK = 256 << 10;

/** SPSS dates count seconds from 1582-10-14 (the Gregorian calendar's start); Unix time from 1970-01-01. */
const SPSS_EPOCH_OFFSET = 12_219_379_200;

/** Print-format types (PSPP manual, "Variable Record") shown as dates, and as date-times. */
const DATE_FORMATS = new Set([20, 23, 24, 28, 29, 30, 38, 39]); // DATE ADATE JDATE MOYR QYR WKYR EDATE SDATE
const DATETIME_FORMATS = new Set([22, 41]); // DATETIME YMDHMS

/**
 * A very long string (wider than 255 bytes) of width w is stored as ceil(w / 252) string variables
 * (segments) of width 255, the last narrower: each segment but the last holds 255 bytes of the
 * string, the last the rest (PSPP's sys-file-private.c).
 */
const SEGMENT = 252;

/** A file's bytes read forwards, a chunk at a time; reading past the end says what was being read. */
class Bytes {
  private buf = Buffer.alloc(0);
  private pos = 0;
  /** File offset of buf[0]. */
  private base = 0;
  private eof = false;
  bytesRead = 0;

  constructor(private readonly fh: FileHandle) {}

  /** File offset of the next byte to read. */
  get offset(): number {
    return this.base + this.pos;
  }

  private async more(): Promise<boolean> {
    if (this.eof) return false;
    const chunk = Buffer.allocUnsafe(READ_CHUNK);
    const { bytesRead } = await this.fh.read(chunk, 0, READ_CHUNK, null);
    if (bytesRead === 0) {
      this.eof = true;
      return false;
    }
    this.bytesRead += bytesRead;
    this.base += this.pos;
    this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk.subarray(0, bytesRead)]);
    this.pos = 0;
    return true;
  }

  /** The next n bytes; the file ending first is an error naming `what`. */
  async take(n: number, what: string): Promise<Buffer> {
    while (this.buf.length - this.pos < n) {
      if (!(await this.more())) throw new SavError(`the file ends at byte ${this.offset + this.buf.length - this.pos}, inside ${what}: it was cut short`);
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Whatever is buffered, else the next chunk of the file; undefined at the end. */
  async chunk(): Promise<Buffer | undefined> {
    if (this.pos >= this.buf.length && !(await this.more())) return undefined;
    const out = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return out;
  }
}

/** Integers and doubles in the file's byte order. */
interface Endian {
  i32(b: Buffer, o: number): number;
  f64(b: Buffer, o: number): number;
  i64(b: Buffer, o: number): number;
}
const LITTLE: Endian = { i32: (b, o) => b.readInt32LE(o), f64: (b, o) => b.readDoubleLE(o), i64: (b, o) => Number(b.readBigInt64LE(o)) };
const BIG: Endian = { i32: (b, o) => b.readInt32BE(o), f64: (b, o) => b.readDoubleBE(o), i64: (b, o) => Number(b.readBigInt64BE(o)) };

/** One variable record (type 2): a variable, or one 8-byte continuation of a string. */
interface Slot {
  type: number;
  short: string;
  printType: number;
  /** Missing values: 1–3 discrete; -2 a range; -3 a range and one discrete. */
  nMissing: number;
  missing: Buffer[];
}

/** A column of the table. */
interface Column {
  name: string;
  /** 0 for a number, else the string's width in bytes. */
  width: number;
  /** Byte offsets and lengths of its data within a case (one piece, or a very long string's segments). */
  pieces: Array<{ offset: number; length: number }>;
  printType: number;
  isMissing: (value: number | string) => boolean;
  labels: Map<number, string> | undefined;
}

/** The file's encoding: the name in record 7.20, else the code page in record 7.3, else windows-1252. */
function encodingName(named: string | undefined, codePage: number | undefined): string {
  if (named !== undefined && named.trim() !== '') return named.trim();
  if (codePage === 65001) return 'UTF-8';
  if (codePage === 20127) return 'US-ASCII';
  if (codePage !== undefined && codePage >= 28591 && codePage <= 28605) return `ISO-8859-${codePage - 28590}`;
  if (codePage !== undefined && codePage > 4) return `CP${codePage}`;
  // 2 and 3 are "7-bit" and "8-bit ASCII": Windows SPSS wrote the system code page.
  return 'windows-1252';
}

/** A decoder of the file's strings: UTF-8 by Node, anything else by iconv-lite. */
function decoderFor(name: string): { decode: (b: Buffer) => string; name: string } {
  const lower = name.toLowerCase().replace(/_/g, '-');
  if (lower === 'utf-8' || lower === 'utf8') {
    // Not fatal: SPSS cuts strings to their width in bytes, sometimes inside a character.
    const d = new TextDecoder('utf-8');
    return { decode: (b) => d.decode(b), name: 'utf-8' };
  }
  if (!iconv.encodingExists(lower)) throw new SavError(`its text is in the encoding "${name}", which rapport does not know`);
  let canonical = lower;
  try {
    canonical = new TextDecoder(lower).encoding;
  } catch {
    // iconv-lite knows it, the WHATWG list does not: keep the file's name.
  }
  return { decode: (b) => iconv.decode(b, lower), name: canonical };
}

/** Text of string bytes, trailing spaces (and NULs) dropped. */
function stringText(b: Buffer, decode: (b: Buffer) => string): string {
  let end = b.length;
  while (end > 0 && (b[end - 1] === 0x20 || b[end - 1] === 0)) end--;
  return end === 0 ? '' : decode(b.subarray(0, end)).trimEnd();
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** An SPSS date (seconds since 1582-10-14) as an ISO date, or date-time; the number's text if out of range. */
function spssDate(seconds: number, withTime: boolean): string {
  const ms = Math.round((seconds - SPSS_EPOCH_OFFSET) * 1000);
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return String(seconds);
  const year = d.getUTCFullYear();
  const y = year >= 0 && year <= 9999 ? String(year).padStart(4, '0') : (year < 0 ? '-' : '+') + String(Math.abs(year)).padStart(6, '0');
  const date = `${y}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  if (!withTime) return date;
  const frac = d.getUTCMilliseconds();
  return `${date}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}${frac === 0 ? '' : `.${String(frac).padStart(3, '0').replace(/0+$/, '')}`}`;
}

interface Dictionary {
  endian: Endian;
  compression: number;
  bias: number;
  cases: number;
  sysmis: number;
  /** Bytes of one case, uncompressed. */
  caseBytes: number;
  columns: Column[];
  encoding: string;
  decode: (b: Buffer) => string;
}

/** The file header and dictionary, up to and including the termination record (type 999). */
async function readDictionary(bytes: Bytes): Promise<Dictionary> {
  const head = await bytes.take(176, 'the file header');
  const magic = head.toString('latin1', 0, 4);
  if (magic !== '$FL2' && magic !== '$FL3') {
    throw new SavError(`it does not start with an SPSS system file's "$FL2" (it starts with ${JSON.stringify(head.toString('latin1', 0, 4))})`);
  }
  const layout = head.readInt32LE(64);
  const endian = layout === 2 || layout === 3 ? LITTLE : BIG;
  if (endian === BIG && ![2, 3].includes(head.readInt32BE(64))) throw new SavError(`its header has an unknown layout code (${layout})`);
  const compression = endian.i32(head, 72);
  if (!(compression === 0 || compression === 1 || (compression === 2 && magic === '$FL3'))) throw new SavError(`its header names an unknown compression (${compression})`);
  const cases = endian.i32(head, 80);
  const bias = endian.f64(head, 84);

  const slots: Slot[] = [];
  const labelSets: Array<{ labels: Array<{ value: Buffer; label: Buffer }>; slots: number[] }> = [];
  let longNames = '';
  let veryLong = '';
  let encodingRecord: string | undefined;
  let codePage: number | undefined;
  let sysmis = -Number.MAX_VALUE;
  for (;;) {
    const at = bytes.offset;
    const type = endian.i32(await bytes.take(4, 'the dictionary'), 0);
    if (type === 999) {
      await bytes.take(4, 'the dictionary termination record');
      break;
    }
    if (type === 2) {
      const r = await bytes.take(28, 'a variable record');
      const slot: Slot = { type: endian.i32(r, 0), short: r.toString('latin1', 20, 28).trimEnd(), printType: (endian.i32(r, 12) >> 16) & 0xff, nMissing: endian.i32(r, 8), missing: [] };
      if (endian.i32(r, 4) === 1) {
        const len = endian.i32(await bytes.take(4, 'a variable label'), 0);
        if (len < 0 || len > 1 << 16) throw new SavError(`a variable label at byte ${at} has length ${len}`);
        await bytes.take(Math.ceil(len / 4) * 4, 'a variable label');
      }
      const n = Math.abs(slot.nMissing);
      if (n > 3) throw new SavError(`variable ${slot.short} (byte ${at}) has ${slot.nMissing} missing values`);
      for (let i = 0; i < n; i++) slot.missing.push(Buffer.from(await bytes.take(8, 'missing values')));
      slots.push(slot);
    } else if (type === 3) {
      const count = endian.i32(await bytes.take(4, 'a value label record'), 0);
      if (count < 0 || count > 1 << 24) throw new SavError(`a value label record at byte ${at} has ${count} labels`);
      const labels: Array<{ value: Buffer; label: Buffer }> = [];
      for (let i = 0; i < count; i++) {
        const r = await bytes.take(9, 'a value label');
        const len = r[8]!;
        const label = await bytes.take(Math.ceil((len + 1) / 8) * 8 - 1, 'a value label');
        labels.push({ value: Buffer.from(r.subarray(0, 8)), label: Buffer.from(label.subarray(0, len)) });
      }
      const r4 = await bytes.take(8, 'the variables of a value label record');
      if (endian.i32(r4, 0) !== 4) throw new SavError(`a value label record at byte ${at} is not followed by its list of variables`);
      const nVars = endian.i32(r4, 4);
      if (nVars < 0 || nVars > 1 << 24) throw new SavError(`a value label record at byte ${at} applies to ${nVars} variables`);
      const list = await bytes.take(4 * nVars, 'the variables of a value label record');
      labelSets.push({ labels, slots: Array.from({ length: nVars }, (_, i) => endian.i32(list, 4 * i) - 1) });
    } else if (type === 6) {
      const lines = endian.i32(await bytes.take(4, 'a document record'), 0);
      if (lines < 0 || lines > 1 << 20) throw new SavError(`a document record at byte ${at} has ${lines} lines`);
      await bytes.take(80 * lines, 'a document record');
    } else if (type === 7) {
      const r = await bytes.take(12, 'an extension record');
      const subtype = endian.i32(r, 0);
      const size = endian.i32(r, 4);
      const count = endian.i32(r, 8);
      if (size < 0 || count < 0 || size * count > 1 << 30) throw new SavError(`an extension record at byte ${at} claims ${size} × ${count} bytes`);
      const data = await bytes.take(size * count, 'an extension record');
      if (subtype === 3 && size === 4 && count >= 8) codePage = endian.i32(data, 28);
      else if (subtype === 4 && size === 8 && count >= 1) sysmis = endian.f64(data, 0);
      else if (subtype === 13) longNames = data.toString('latin1');
      else if (subtype === 14) veryLong = data.toString('latin1');
      else if (subtype === 20) encodingRecord = data.toString('latin1');
    } else {
      throw new SavError(`byte ${at} holds a record of unknown type ${type}: the dictionary is damaged`);
    }
  }

  const { decode, name: encoding } = decoderFor(encodingName(encodingRecord, codePage));
  // Names are written in the file's encoding (long names and very long string widths, keyed by short name).
  const long = new Map<string, string>();
  for (const pair of Buffer.from(longNames, 'latin1').length > 0 ? decode(Buffer.from(longNames, 'latin1')).split('\t') : []) {
    const eq = pair.indexOf('=');
    if (eq > 0) long.set(pair.slice(0, eq).toUpperCase(), pair.slice(eq + 1));
  }
  const widths = new Map<string, number>();
  for (const entry of veryLong.split(/[\t\0]+/)) {
    const eq = entry.indexOf('=');
    if (eq > 0) widths.set(decode(Buffer.from(entry.slice(0, eq), 'latin1')).toUpperCase(), Number(entry.slice(eq + 1)));
  }

  // Variables from the slots: a string takes one slot per 8 bytes (continuations), a very long
  // string several string variables (its segments).
  const vars: Array<{ slot: number; short: string; width: number; printType: number; nMissing: number; missing: Buffer[] }> = [];
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    if (s.type === -1) {
      if (vars.length === 0) throw new SavError('its first variable record is a string continuation');
      continue;
    }
    if (s.type < 0 || s.type > 255) throw new SavError(`variable ${s.short} has type ${s.type}`);
    vars.push({ slot: i, short: decode(Buffer.from(s.short, 'latin1')), width: s.type, printType: s.printType, nMissing: s.nMissing, missing: s.missing });
  }
  const columns: Column[] = [];
  const bySlot = new Map<number, Column>();
  for (let v = 0; v < vars.length; v++) {
    const first = vars[v]!;
    const total = widths.get(first.short.toUpperCase());
    const pieces: Column['pieces'] = [];
    let width = first.width;
    if (total !== undefined && total > 255) {
      const n = Math.ceil(total / SEGMENT);
      if (v + n > vars.length) throw new SavError(`very long string ${first.short} needs ${n} segments, the file has ${vars.length - v}`);
      for (let k = 0; k < n; k++) pieces.push({ offset: vars[v + k]!.slot * 8, length: k < n - 1 ? 255 : Math.max(0, total - 255 * (n - 1)) });
      width = total;
      v += n - 1;
    } else {
      pieces.push({ offset: first.slot * 8, length: first.width === 0 ? 8 : first.width });
    }
    const col: Column = { name: long.get(first.short.toUpperCase()) ?? first.short, width, pieces, printType: first.printType, isMissing: () => false, labels: undefined };
    if (first.nMissing !== 0) {
      if (width === 0) {
        const values = first.missing.map((b) => endian.f64(b, 0));
        const range = first.nMissing < 0 ? [values[0]!, values[1]!] : undefined;
        const discrete = first.nMissing < 0 ? values.slice(2) : values;
        col.isMissing = (x) => discrete.includes(x as number) || (range !== undefined && (x as number) >= range[0]! && (x as number) <= range[1]!);
      } else {
        const values = first.missing.map((b) => stringText(b, decode));
        col.isMissing = (x) => values.includes(x as string);
      }
    }
    columns.push(col);
    bySlot.set(first.slot, col);
  }
  for (const set of labelSets) {
    for (const slot of set.slots) {
      const col = bySlot.get(slot);
      if (!col) throw new SavError(`a value label record names variable index ${slot + 1}, which is not a variable`);
      if (col.width !== 0) continue; // labels of string values are not used
      col.labels ??= new Map();
      for (const { value, label } of set.labels) col.labels.set(endian.f64(value, 0), decode(label).trimEnd());
    }
  }
  return { endian, compression, bias, cases, sysmis, caseBytes: slots.length * 8, columns, encoding, decode };
}

/**
 * The uncompressed data stream: the file's bytes after the dictionary, or, in a .zsav, its zlib
 * blocks inflated one at a time (found from the trailer at the end of the file).
 */
async function* dataChunks(bytes: Bytes, fh: FileHandle, dict: Dictionary): AsyncGenerator<Buffer> {
  if (dict.compression !== 2) {
    for (let c = await bytes.chunk(); c; c = await bytes.chunk()) yield c;
    return;
  }
  const zheaderAt = bytes.offset;
  const zh = await bytes.take(24, 'the zlib data header');
  const { endian } = dict;
  if (endian.i64(zh, 0) !== zheaderAt) throw new SavError(`its zlib data header at byte ${zheaderAt} does not point to itself`);
  const trailerAt = endian.i64(zh, 8);
  const trailerLength = endian.i64(zh, 16);
  const size = (await fh.stat()).size;
  if (trailerLength < 24 || trailerAt + trailerLength > size) throw new SavError(`its zlib trailer should be at bytes ${trailerAt}–${trailerAt + trailerLength}, but the file has ${size} bytes: it was cut short`);
  const trailer = Buffer.alloc(trailerLength);
  await fh.read(trailer, 0, trailerLength, trailerAt);
  const blocks = endian.i32(trailer, 20);
  if (24 + 24 * blocks !== trailerLength) throw new SavError(`its zlib trailer lists ${blocks} blocks in ${trailerLength} bytes`);
  for (let i = 0; i < blocks; i++) {
    const o = 24 + 24 * i;
    const at = endian.i64(trailer, o + 8);
    const expected = endian.i32(trailer, o + 16);
    const length = endian.i32(trailer, o + 20);
    if (at < 0 || length < 0 || at + length > trailerAt) throw new SavError(`zlib block ${i + 1} lies outside the data`);
    const packed = Buffer.alloc(length);
    await fh.read(packed, 0, length, at);
    bytes.bytesRead += length;
    let block: Buffer;
    try {
      block = await inflate(packed);
    } catch (err) {
      throw new SavError(`zlib block ${i + 1} (byte ${at}) is damaged: ${(err as Error).message}`);
    }
    if (block.length !== expected) throw new SavError(`zlib block ${i + 1} inflates to ${block.length} bytes, not the ${expected} its trailer says`);
    yield block;
  }
}

/** The cases as raw bytes (one reused buffer each): uncompressed, or bytecode decoded. */
async function* rawCases(chunks: AsyncIterable<Buffer>, dict: Dictionary): AsyncGenerator<Buffer> {
  const size = dict.caseBytes;
  const kase = Buffer.alloc(size);
  let filled = 0;
  let number = 0;
  const sysmis = Buffer.alloc(8);
  if (dict.endian === LITTLE) sysmis.writeDoubleLE(dict.sysmis);
  else sysmis.writeDoubleBE(dict.sysmis);
  let rest = Buffer.alloc(0);
  let codes: Buffer | undefined;
  let ci = 8;
  let ended = false;
  const wanted = dict.cases >= 0 ? dict.cases : Infinity;
  for await (const chunk of chunks) {
    const buf = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let p = 0;
    if (dict.compression === 0) {
      while (buf.length - p >= size && number < wanted) {
        buf.copy(kase, 0, p, p + size);
        p += size;
        number++;
        yield kase;
      }
      if (number >= wanted) p = buf.length; // anything after the last case is not data
    } else {
      while (!ended) {
        if (ci === 8) {
          if (buf.length - p < 8) break;
          codes = Buffer.from(buf.subarray(p, p + 8));
          p += 8;
          ci = 0;
        }
        const code = codes![ci]!;
        if (code === 0) {
          ci++;
          continue;
        }
        if (code === 252) {
          ended = true;
          break;
        }
        if (code === 253) {
          if (buf.length - p < 8) break;
          buf.copy(kase, filled, p, p + 8);
          p += 8;
        } else if (code === 254) kase.fill(0x20, filled, filled + 8);
        else if (code === 255) sysmis.copy(kase, filled);
        else if (dict.endian === LITTLE) kase.writeDoubleLE(code - dict.bias, filled);
        else kase.writeDoubleBE(code - dict.bias, filled);
        ci++;
        filled += 8;
        if (filled === size) {
          filled = 0;
          number++;
          yield kase;
          if (number >= wanted) {
            ended = true;
            break;
          }
        }
      }
      if (ended) p = buf.length;
    }
    rest = Buffer.from(buf.subarray(p));
    if (number >= wanted || ended) break;
  }
  const partial = dict.compression === 0 ? rest.length > 0 && number < wanted : filled > 0;
  if (partial) throw new SavError(`the data stops inside case ${number + 1}: the file was cut short`, number + 2);
  if (dict.cases >= 0 && number < dict.cases) throw new SavError(`the header says ${dict.cases} cases, the data stops after ${number}: the file was cut short`, number + 2);
}

/** The cells of one case as text. */
function caseFields(kase: Buffer, dict: Dictionary, valueLabels: boolean): string[] {
  const out = new Array<string>(dict.columns.length);
  for (let i = 0; i < dict.columns.length; i++) {
    const c = dict.columns[i]!;
    if (c.width === 0) {
      const o = c.pieces[0]!.offset;
      const x = dict.endian === LITTLE ? kase.readDoubleLE(o) : kase.readDoubleBE(o);
      if (x === dict.sysmis || Number.isNaN(x) || c.isMissing(x)) out[i] = '';
      else if (valueLabels && c.labels?.has(x)) out[i] = c.labels.get(x)!;
      else if (DATE_FORMATS.has(c.printType)) out[i] = spssDate(x, false);
      else if (DATETIME_FORMATS.has(c.printType)) out[i] = spssDate(x, true);
      else out[i] = String(x);
    } else {
      const bytes = c.pieces.length === 1 ? kase.subarray(c.pieces[0]!.offset, c.pieces[0]!.offset + c.pieces[0]!.length) : Buffer.concat(c.pieces.map((p) => kase.subarray(p.offset, p.offset + p.length)));
      const s = stringText(bytes, dict.decode);
      out[i] = c.isMissing(s) ? '' : s;
    }
  }
  return out;
}

export async function readSav(path: string, opts: { valueLabels: boolean }): Promise<TableSource> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw unreadable(path, (err as Error).message);
  }
  const bytes = new Bytes(fh);
  let dict: Dictionary;
  try {
    dict = await readDictionary(bytes);
  } catch (err) {
    await fh.close();
    throw unreadable(path, (err as Error).message);
  }
  const header = dict.columns.map((c) => c.name);
  const close = async () => {
    await fh.close().catch(() => undefined);
  };
  if (header.length === 0) {
    await close();
    throw inputError('CSV_EMPTY', `${path} has no variables`, { location: { file: path } });
  }
  const dups = findDuplicateHeaders(header);
  if (dups.length > 0) {
    await close();
    throw inputError('CSV_DUPLICATE_HEADER', `${path} has duplicate variable names: ${dups.join(', ')}`, { location: { file: path, line: 1 }, hint: 'rename the variables so every name is unique' });
  }
  async function* rows(): AsyncGenerator<Row> {
    let line = 1;
    try {
      for await (const kase of rawCases(dataChunks(bytes, fh, dict), dict)) yield new ArrayRecord(caseFields(kase, dict, opts.valueLabels), ++line);
    } catch (err) {
      if (err instanceof SavError) throw unreadable(path, err.message, err.line);
      throw unreadable(path, (err as Error).message);
    } finally {
      await close();
    }
  }
  const source = rows();
  const first = await source.next();
  if (first.done) throw inputError('CSV_NO_ROWS', `${path} has variables but no cases`, { location: { file: path, line: 1 }, hint: 'is this the right file? a file with no cases has nothing to score' });
  async function* records(): AsyncGenerator<Row> {
    yield first.value as Row;
    yield* source;
  }
  return {
    name: path,
    header,
    headerLine: 1,
    batches: batchRecords(records(), 4096),
    bytesRead: () => bytes.bytesRead,
    dialect: { format: 'sav', delimiter: '', encoding: dict.encoding, decimalComma: false },
    skipped: [],
  };
}
