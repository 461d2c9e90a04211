/**
 * A byte-level RFC 4180 reader for UTF-8 files: the fast path behind src/io/table.ts. csv-parse
 * makes a string per field; scoring a million rows needs better, so this reader finds field
 * boundaries in the bytes and lets callers parse numbers straight from them, decode text only when
 * a cell is not a plain number, and copy a row's raw bytes to the output. It accepts and refuses
 * exactly what the csv-parse path does (test/io/fast-csv.test.ts compares the two).
 */
import { isUtf8 } from 'node:buffer';
import { inputError, type RapportError } from '../errors.js';
import type { CsvRecord } from './csv-read.js';
import { firstInvalidUtf8 } from './decode.js';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/** A record of the current chunk. Valid until the next record is read: copy what you keep. */
export class FastRecord implements CsvRecord {
  line = 0;
  buf: Buffer = Buffer.alloc(0);
  start = 0;
  end = 0;
  count = 0;
  fieldStart = new Int32Array(64);
  fieldEnd = new Int32Array(64);
  /** 1 when the field was quoted (its bounds exclude the quotes), 2 when it also holds "" escapes. */
  quoted = new Uint8Array(64);
  private cache: string[] | undefined;

  get fields(): string[] {
    if (!this.cache) {
      const out = new Array<string>(this.count);
      for (let i = 0; i < this.count; i++) out[i] = this.text(i);
      this.cache = out;
    }
    return this.cache;
  }

  set fields(v: string[]) {
    this.cache = v;
  }

  reset(): void {
    this.cache = undefined;
  }

  /** True once the fields were materialised (and possibly rewritten): the raw bytes no longer speak for the row. */
  get materialised(): boolean {
    return this.cache !== undefined;
  }

  text(i: number): string {
    if (this.cache) return this.cache[i]!;
    const s = this.buf.toString('utf8', this.fieldStart[i]!, this.fieldEnd[i]!);
    return this.quoted[i] === 2 ? s.replace(/""/g, '"') : s;
  }

  /** The row exactly as written (without its line ending). */
  raw(): string {
    return this.buf.toString('utf8', this.start, this.end);
  }

  /**
   * The cell as a plain decimal number (surrounding spaces ignored; a comma as decimal separator if
   * allowed), NaN if it is empty or anything else. Same result as Number() on the text.
   */
  number(i: number, decimalComma: boolean): number {
    if (this.cache) return Number.NaN; // rewritten rows go through the text path
    const b = this.buf;
    let s = this.fieldStart[i]!;
    let e = this.fieldEnd[i]!;
    while (s < e && (b[s] === 0x20 || b[s] === 0x09)) s++;
    while (e > s && (b[e - 1] === 0x20 || b[e - 1] === 0x09)) e--;
    if (s === e) return Number.NaN;
    let p = s;
    let neg = false;
    if (b[p] === 0x2b || b[p] === 0x2d) {
      neg = b[p] === 0x2d;
      p++;
    }
    let value = 0;
    let digits = 0;
    while (p < e && b[p]! >= 0x30 && b[p]! <= 0x39) {
      value = value * 10 + (b[p]! - 0x30);
      p++;
      digits++;
    }
    if (p === e) return digits > 0 && digits < 16 ? (neg ? -value : value) : digits > 0 ? Number(b.toString('latin1', s, e)) : Number.NaN;
    const sep = b[p];
    if (sep !== 0x2e && !(decimalComma && sep === 0x2c)) return Number.NaN;
    p++;
    let frac = 0;
    while (p < e && b[p]! >= 0x30 && b[p]! <= 0x39) {
      p++;
      frac++;
    }
    if (p !== e || digits + frac === 0) return Number.NaN;
    const text = b.toString('latin1', s, e);
    return Number(sep === 0x2c ? text.replace(',', '.') : text);
  }

  /** Whether a field starts like a spreadsheet formula (=, +, -, @, tab, CR), so the raw row cannot be copied as is. */
  startsLikeFormula(i: number): boolean {
    const c = this.buf[this.fieldStart[i]!];
    return this.fieldEnd[i]! > this.fieldStart[i]! && (c === 0x3d || c === 0x2b || c === 0x2d || c === 0x40 || c === 0x09 || c === 0x0d);
  }
}

export interface FastReaderOptions {
  name: string;
  delimiter: number;
}

/**
 * Records from a byte stream (BOM removed by the caller or here). Throws the same error codes as the
 * csv-parse path: CSV_UNCLOSED_QUOTE (the line where the record starts), CSV_INVALID_QUOTE,
 * ENCODING_INVALID, CSV_BINARY. Field counts are checked by the caller.
 */
export async function* fastRecords(chunks: AsyncIterable<Buffer | string>, opts: FastReaderOptions): AsyncGenerator<FastRecord> {
  const { name, delimiter } = opts;
  const rec = new FastRecord();
  let carry: Buffer | undefined;
  let line = 1; // line of the first byte of the unparsed data
  let offset = 0; // file offset of the first byte of the unparsed data
  let first = true;
  const fail = (code: string, message: string, atLine: number, hint: string): RapportError => inputError(code, message, { location: { file: name, line: atLine }, hint });

  const check = (b: Buffer, end: number) => {
    const nul = b.indexOf(0);
    if (nul >= 0) {
      let l = line;
      for (let i = 0; i < nul; i++) if (b[i] === LF) l++;
      throw fail('CSV_BINARY', `${name} is not a text file (it contains NUL bytes; the first at byte ${offset + nul + 1})`, l, 'is this a spreadsheet or another binary file? save it as CSV, or pass an .xlsx file by name');
    }
    if (!isUtf8(b.subarray(0, end))) {
      const at = firstInvalidUtf8(b.subarray(0, end));
      let l = line;
      for (let i = 0; i < at; i++) if (b[i] === LF) l++;
      throw fail('ENCODING_INVALID', `${name} is not valid utf-8 (byte 0x${b[at]!.toString(16).padStart(2, '0')} cannot start or continue a character)`, l, 'the file is probably in a Windows or Latin encoding: try --encoding windows-1252 (or latin1), or save it as "CSV UTF-8"');
    }
  };

  /** Parses the records that end within b[0, limit); returns where the unparsed rest starts. */
  function* parse(b: Buffer, final: boolean): Generator<FastRecord, number> {
    let i = 0;
    const n = b.length;
    for (;;) {
      // Skip empty lines.
      while (i < n && (b[i] === LF || (b[i] === CR && b[i + 1] === LF) || (b[i] === CR && final && i + 1 === n))) {
        if (b[i] === LF) line++;
        else if (b[i + 1] === LF) {
          i++;
          line++;
        }
        i++;
      }
      if (i >= n) return i;
      const recStart = i;
      const recLine = line;
      let l = line;
      let count = 0;
      let p = i;
      let complete = false;
      for (;;) {
        if (count === rec.fieldStart.length) {
          const grow = (a: Int32Array) => {
            const x = new Int32Array(a.length * 2);
            x.set(a);
            return x;
          };
          rec.fieldStart = grow(rec.fieldStart);
          rec.fieldEnd = grow(rec.fieldEnd);
          const q = new Uint8Array(rec.quoted.length * 2);
          q.set(rec.quoted);
          rec.quoted = q;
        }
        if (b[p] === QUOTE) {
          let q = p + 1;
          let escapes = false;
          for (;;) {
            while (q < n && b[q] !== QUOTE) {
              if (b[q] === LF) l++;
              q++;
            }
            if (q >= n) break;
            if (b[q + 1] === QUOTE) {
              escapes = true;
              q += 2;
              continue;
            }
            if (q + 1 >= n && !final) {
              q = n; // the closing quote's follower is in the next chunk
            }
            break;
          }
          if (q >= n) {
            if (final) throw fail('CSV_UNCLOSED_QUOTE', `cannot parse ${name}: a quoted field starting on line ${recLine} is never closed`, recLine, 'a quoted field is never closed: look for a stray " on or after this line');
            return recStart; // need more data
          }
          rec.fieldStart[count] = p + 1;
          rec.fieldEnd[count] = q;
          rec.quoted[count] = escapes ? 2 : 1;
          count++;
          p = q + 1;
          const c = b[p];
          if (c === delimiter) {
            p++;
            continue;
          }
          if (c === LF || c === CR || p >= n) {
            if (p >= n && !final) return recStart;
            complete = true;
            break;
          }
          throw fail('CSV_INVALID_QUOTE', `cannot parse ${name}: text follows a closing quote on line ${l}`, l, 'a " inside a quoted field must be doubled (""), or the field must not be quoted');
        }
        const s = p;
        while (p < n && b[p] !== delimiter && b[p] !== LF && b[p] !== CR) {
          if (b[p] === QUOTE) throw fail('CSV_INVALID_QUOTE', `cannot parse ${name}: a quote in the middle of field ${count + 1} on line ${l}`, l, 'a " in the middle of a field: double it ("") and quote the whole field, or remove it');
          p++;
        }
        if (p >= n && !final) return recStart;
        rec.fieldStart[count] = s;
        rec.fieldEnd[count] = p;
        rec.quoted[count] = 0;
        count++;
        if (b[p] === delimiter) {
          p++;
          if (p >= n && !final) return recStart;
          if (p >= n) {
            rec.fieldStart[count] = p;
            rec.fieldEnd[count] = p;
            rec.quoted[count] = 0;
            count++;
            complete = true;
            break;
          }
          continue;
        }
        complete = true;
        break;
      }
      if (!complete) return recStart;
      const recEnd = p;
      if (b[p] === CR && b[p + 1] === LF) p += 2;
      else if (b[p] === LF || b[p] === CR) p++;
      l = b[p - 1] === LF ? l + 1 : l;
      rec.reset();
      rec.buf = b;
      rec.start = recStart;
      rec.end = recEnd;
      rec.count = count;
      rec.line = recLine;
      line = l;
      yield rec;
      i = p;
    }
  }

  for await (const raw of chunks) {
    let chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    if (first) {
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
      first = false;
    }
    const b = carry ? Buffer.concat([carry, chunk]) : chunk;
    // Validate up to the last line feed: a character split across chunks is judged with the next one.
    const lastLf = b.lastIndexOf(LF);
    if (lastLf < 0) {
      carry = b;
      continue;
    }
    check(b, lastLf + 1);
    const startLine = line;
    const it = parse(b.subarray(0, lastLf + 1), false);
    let r = it.next();
    while (!r.done) {
      yield r.value;
      r = it.next();
    }
    const consumed = r.value;
    // Lines of the consumed part are counted by parse(); the rest is carried over.
    carry = consumed < b.length ? Buffer.from(b.subarray(consumed)) : undefined;
    offset += consumed;
    if (consumed === 0 && startLine === line && b.length > 64 << 20) {
      throw fail('CSV_MAX_RECORD_SIZE', `cannot parse ${name}: a record is longer than 64 MB`, line, 'is this really a CSV file? look for an unclosed quote');
    }
  }
  if (carry && carry.length > 0) {
    check(carry, carry.length);
    const it = parse(carry, true);
    for (let r = it.next(); !r.done; r = it.next()) yield r.value;
  }
}
