/**
 * The one CSV reader: an RFC 4180 parser over UTF-8 bytes (other encodings are turned into UTF-8
 * before it, src/input/decode.ts). Each chunk of the file is parsed synchronously into a batch of
 * field bounds (src/input/csv-batch.ts); lines without quotes are split by the WebAssembly kernel
 * (src/kernels/lines.ts) where available, the rest byte by byte here. Line numbers count LF, CRLF
 * and a lone CR as one line break each, as an editor does.
 */
import { isUtf8 } from 'node:buffer';
import { inputError, type RapportError } from '../errors.js';
import { FORMULA_START, lineKernel, type LineKernel } from '../kernels/lines.js';
import { FastBatch } from './csv-batch.js';
import { firstInvalidUtf8 } from './decode.js';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

export interface FastReaderOptions {
  name: string;
  delimiter: number;
  /** Split simple lines with the WebAssembly kernel where available (default true; false for tests that compare the two). */
  wasm?: boolean;
  /** The longest record accepted, in bytes (default MAX_RECORD_BYTES). */
  maxRecordBytes?: number;
}

/** The longest record (row, with its quoted line breaks) read by default: 1 MB. `--max-record-size` raises it. */
export const MAX_RECORD_BYTES = 1 << 20;

/** CSV_RECORD_TOO_LONG: a record (from `line` on) longer than the limit, refused as soon as it is seen. */
export function recordTooLong(name: string, line: number, limit: number): RapportError {
  return inputError('CSV_RECORD_TOO_LONG', `cannot parse ${name}: the record starting on line ${line} is longer than ${formatBytes(limit)}`, {
    location: { file: name, line },
    hint: `is this really a CSV file (look for an unclosed quote)? if the row is meant to be this long, raise the limit with --max-record-size (e.g. --max-record-size ${formatBytes(limit * 4).replace(' ', '')})`,
  });
}

const formatBytes = (n: number): string => (n % (1 << 20) === 0 ? `${n / (1 << 20)} MB` : n % 1024 === 0 ? `${n / 1024} KB` : `${n} bytes`);


/**
 * Parses chunks into batches. Line numbers carry over from chunk to chunk. A malformed record
 * ends the batch before it and leaves its error in `failure`, so the records before it are still
 * handed out first (as a record-at-a-time reader would).
 */
class ChunkParser {
  line = 1; // line of the first byte of the unparsed data
  failure: RapportError | undefined;
  private readonly kernel: LineKernel | undefined;

  constructor(
    private readonly name: string,
    private readonly delimiter: number,
    wasm: boolean,
  ) {
    const plain = delimiter !== QUOTE && delimiter !== LF && delimiter !== CR && delimiter < 0x80;
    this.kernel = wasm && plain ? lineKernel : undefined;
  }

  private fail(code: string, message: string, atLine: number, hint: string): RapportError {
    return inputError(code, message, { location: { file: this.name, line: atLine }, hint });
  }

  /** Parses the records that end within b into `batch`; returns where the unparsed rest starts. */
  parse(b: Buffer, final: boolean, batch: FastBatch): number {
    try {
      return this.run(b, final, batch);
    } catch (err) {
      this.failure = err as RapportError;
      return b.length;
    }
  }

  /**
   * Adds the record b[start, end) (one line, no quotes) to the batch; false, adding nothing, when
   * it holds a carriage return (a line break of its own, left to the general parser).
   */
  private simpleRecord(b: Buffer, start: number, end: number, batch: FastBatch, line: number): boolean {
    // A line of n bytes has at most n + 1 fields: room for them first, so the loop need not check.
    // (Very long lines are left to the general parser, which grows the arrays as it goes.)
    if (end - start > 1 << 16) return false;
    batch.reserve(end - start + 1);
    const delimiter = this.delimiter;
    const base = batch.nFields;
    const fs = batch.fieldStart;
    const fe = batch.fieldEnd;
    let count = 0;
    let s = start;
    let risky = FORMULA_START[b[start]!]!;
    for (let p = start; p < end; p++) {
      const c = b[p]!;
      if (c === delimiter) {
        fs[base + count] = s;
        fe[base + count] = p;
        count++;
        s = p + 1;
        risky |= FORMULA_START[b[s]!]!;
      } else if (c === CR) return false;
    }
    fs[base + count] = s;
    fe[base + count] = end;
    count++;
    batch.quoted.fill(0, base, base + count);
    batch.push(line, start, end, count, risky);
    return true;
  }

  private run(b: Buffer, final: boolean, batch: FastBatch): number {
    const { name, delimiter } = this;
    let i = 0;
    const n = b.length;
    let line = this.line;
    let nextQuote = b.indexOf(QUOTE);
    batch.epoch = this.kernel ? this.kernel.load(b) : -1;
    const kernel = batch.epoch >= 0 ? this.kernel : undefined;
    try {
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
        // The common case: records on one line without quotes, split by the kernel, or by the loop below.
        if (kernel) {
          const before = batch.n;
          const next = kernel.split(i, this.delimiter, batch, line);
          if (next !== i) {
            line += batch.n - before;
            i = next;
            continue;
          }
        }
        if (nextQuote !== -1 && nextQuote < i) nextQuote = b.indexOf(QUOTE, i);
        const lf = b.indexOf(LF, i);
        if (lf !== -1 && (nextQuote === -1 || nextQuote > lf)) {
          const end = b[lf - 1] === CR ? lf - 1 : lf;
          const r = this.simpleRecord(b, i, end, batch, line);
          if (r) {
            line++;
            i = lf + 1;
            continue;
          }
        }
        const recStart = i;
        const recLine = line;
        let l = line;
        let count = 0;
        let p = i;
        let complete = false;
        let risky = 0;
        batch.reserve(64);
        let base = batch.nFields;
        let fs = batch.fieldStart;
        let fe = batch.fieldEnd;
        let fq = batch.quoted;
        for (;;) {
          if (base + count === fs.length) {
            batch.reserve(count + 64);
            fs = batch.fieldStart;
            fe = batch.fieldEnd;
            fq = batch.quoted;
            base = batch.nFields;
          }
          if (b[p] === QUOTE) {
            let q = p + 1;
            let escapes = false;
            for (;;) {
              while (q < n && b[q] !== QUOTE) {
                // A line break is LF, CRLF or a lone CR.
                if (b[q] === LF || (b[q] === CR && b[q + 1] !== LF)) l++;
                q++;
              }
              if (q >= n) break;
              if (b[q + 1] === QUOTE) {
                escapes = true;
                q += 2;
                continue;
              }
              if (q + 1 >= n && !final) q = n; // the closing quote's follower is in the next chunk
              break;
            }
            if (q >= n) {
              if (final) throw this.fail('CSV_UNCLOSED_QUOTE', `cannot parse ${name}: a quoted field starting on line ${recLine} is never closed`, recLine, 'a quoted field is never closed: look for a stray " on or after this line');
              return recStart; // need more data
            }
            fs[base + count] = p + 1;
            fe[base + count] = q;
            fq[base + count] = escapes ? 2 : 1;
            if (q > p + 1) risky |= FORMULA_START[b[p + 1]!]!;
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
            throw this.fail('CSV_INVALID_QUOTE', `cannot parse ${name}: text follows a closing quote on line ${l}`, l, 'a " inside a quoted field must be doubled (""), or the field must not be quoted');
          }
          const s = p;
          let c = b[p];
          if (c !== undefined) risky |= FORMULA_START[c]!;
          while (p < n && c !== delimiter && c !== LF && c !== CR) {
            if (c === QUOTE) throw this.fail('CSV_INVALID_QUOTE', `cannot parse ${name}: a quote in the middle of field ${count + 1} on line ${l}`, l, 'a " in the middle of a field: double it ("") and quote the whole field, or remove it');
            c = b[++p];
          }
          if (p >= n && !final) return recStart;
          fs[base + count] = s;
          fe[base + count] = p;
          fq[base + count] = 0;
          count++;
          if (c === delimiter) {
            p++;
            if (p >= n && !final) return recStart;
            if (p >= n) {
              if (base + count === fs.length) {
                batch.reserve(count + 1);
                fs = batch.fieldStart;
                fe = batch.fieldEnd;
                fq = batch.quoted;
              }
              fs[base + count] = p;
              fe[base + count] = p;
              fq[base + count] = 0;
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
        l++;
        batch.push(recLine, recStart, recEnd, count, risky);
        line = l;
        i = p;
      }
    } finally {
      this.line = line;
    }
  }
}

/**
 * Batches of records from a byte stream (a UTF-8 BOM is removed). Throws the same error codes as
 * the csv-parse path: CSV_UNCLOSED_QUOTE (the line where the record starts), CSV_INVALID_QUOTE,
 * ENCODING_INVALID, CSV_BINARY, CSV_RECORD_TOO_LONG. Field counts are checked by the caller.
 * One batch object is reused: it is valid until the next one is asked for.
 */
export async function* fastBatches(chunks: AsyncIterable<Buffer | string>, opts: FastReaderOptions): AsyncGenerator<FastBatch> {
  const { name } = opts;
  const parser = new ChunkParser(name, opts.delimiter, opts.wasm !== false);
  const batch = new FastBatch();
  let carry: Buffer | undefined;
  let offset = 0; // offset of the first byte of the unparsed data
  let first = true;

  const limit = opts.maxRecordBytes ?? MAX_RECORD_BYTES;
  const fail = (b: Buffer, code: string, message: string, at: number, hint: string): RapportError => {
    let l = parser.line;
    for (let i = 0; i < at; i++) if (b[i] === LF) l++;
    return inputError(code, message, { location: { file: name, line: l }, hint });
  };
  /** NUL bytes mean a binary file (or UTF-16 without its BOM): refused at the first chunk that has one. */
  const checkText = (b: Buffer) => {
    const nul = b.indexOf(0);
    if (nul >= 0) {
      throw fail(b, 'CSV_BINARY', `${name} is not a text file (it contains NUL bytes; the first at byte ${offset + nul + 1})`, nul, 'is this a spreadsheet or another binary file? save it as CSV, or pass an .xlsx file by name; a UTF-16 text without a byte-order mark needs --encoding utf-16le');
    }
  };
  const check = (b: Buffer, end: number) => {
    if (!isUtf8(b.subarray(0, end))) {
      const at = firstInvalidUtf8(b.subarray(0, end));
      throw fail(b, 'ENCODING_INVALID', `${name} is not valid utf-8 (byte 0x${b[at]!.toString(16).padStart(2, '0')} cannot start or continue a character)`, at, 'the file is probably in a Windows or Latin encoding: try --encoding windows-1252 (or latin1), or save it as "CSV UTF-8"');
    }
  };

  for await (const raw of chunks) {
    let chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
    if (first) {
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
      first = false;
    }
    const carried = carry !== undefined;
    const b = carry ? Buffer.concat([carry, chunk]) : chunk;
    checkText(b);
    // Validate up to the last line feed: a character split across chunks is judged with the next one.
    const lastLf = b.lastIndexOf(LF);
    if (lastLf < 0) {
      if (b.length > limit) throw recordTooLong(name, parser.line, limit);
      carry = b;
      continue;
    }
    check(b, lastLf + 1);
    const startLine = parser.line;
    batch.reset(b);
    const consumed = parser.parse(b.subarray(0, lastLf + 1), false, batch);
    // Only a record begun in an earlier chunk can be longer than the limit (chunks are smaller).
    if (carried && batch.n > 0 && batch.end[0]! - batch.start[0]! > limit) throw recordTooLong(name, startLine, limit);
    if (batch.n > 0) yield batch;
    if (parser.failure) throw parser.failure;
    // The rest is carried over (copied: the stream may reuse its chunk).
    carry = consumed < b.length ? Buffer.from(b.subarray(consumed)) : undefined;
    offset += consumed;
    if (carry && carry.length > limit) throw recordTooLong(name, parser.line, limit);
  }
  if (carry && carry.length > 0) {
    check(carry, carry.length);
    batch.reset(carry);
    parser.parse(carry, true, batch);
    if (batch.n > 0) yield batch;
    if (parser.failure) throw parser.failure;
  }
}
