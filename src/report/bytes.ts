/**
 * Output assembled as bytes: text, numbers and byte ranges (rows copied from the input) appended to
 * 1 MB buffers and handed over whole. Cheaper than building and joining a string per row.
 */
import { formatNumber } from './format.js';

const viewOf = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** The builder; take() hands over what was appended, as one buffer. */
export class ByteBuilder {
  static readonly SIZE = 1 << 20;
  private buf = Buffer.allocUnsafe(ByteBuilder.SIZE);
  private pos = 0;
  /** Views for copying four bytes at a time: of `buf`, and of the last source copied from. */
  private view = viewOf(this.buf);
  private source: Uint8Array | undefined;
  private sourceView = this.view;
  private full: Buffer[] = [];
  private readonly texts = new Map<number, string>();
  private fullBytes = 0;

  /** Bytes written and not yet taken. */
  get size(): number {
    return this.fullBytes + this.pos;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos > 0) {
      this.full.push(this.buf.subarray(0, this.pos));
      this.fullBytes += this.pos;
    }
    this.buf = Buffer.allocUnsafe(Math.max(ByteBuilder.SIZE, n));
    this.view = viewOf(this.buf);
    this.pos = 0;
  }

  text(s: string): void {
    this.reserve(s.length * 3);
    this.pos += this.buf.write(s, this.pos);
  }

  /** Text that is most likely ASCII (numbers, statuses): copied code by code, which beats Buffer.write for short strings. */
  ascii(s: string): void {
    const n = s.length;
    this.reserve(n * 3);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) {
        this.pos = p + buf.write(s.slice(i), p);
        return;
      }
      buf[p++] = c;
    }
    this.pos = p;
  }

  /** One byte (a delimiter, a line feed). */
  byte(c: number): void {
    if (this.pos === this.buf.length) this.reserve(1);
    this.buf[this.pos++] = c;
  }

  /**
   * A number as formatNumber writes it (shortest round-trip form, or rounded to `digits`). A whole
   * number below 2^31 in size, the usual scale score, is written digit by digit without a string.
   */
  number(x: number, digits: number | undefined): void {
    if (digits === undefined && (x | 0) === x) {
      this.reserve(11);
      const buf = this.buf;
      let v = x;
      if (v < 0) {
        buf[this.pos++] = 0x2d;
        v = -v;
      }
      let end = this.pos + (v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 1e5 ? 5 : v < 1e6 ? 6 : v < 1e7 ? 7 : v < 1e8 ? 8 : v < 1e9 ? 9 : 10);
      this.pos = end;
      do {
        const q = Math.floor(v / 10);
        buf[--end] = 0x30 + v - q * 10;
        v = q;
      } while (v > 0);
      return;
    }
    if (digits !== undefined) {
      this.ascii(formatNumber(x, digits));
      return;
    }
    // Scores repeat (a prorated score is a few hundred distinct fractions): their texts are remembered.
    let text = this.texts.get(x);
    if (text === undefined) {
      text = formatNumber(x);
      if (this.texts.size < 4096) this.texts.set(x, text);
    }
    this.ascii(text);
  }

  /** A long run of bytes (many rows at once), copied in one go. */
  copy(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.reserve(n);
    this.buf.set(src.subarray(start, end), this.pos);
    this.pos += n;
  }

  bytes(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    this.reserve(n);
    if (n < 512) {
      // A row's worth: four bytes at a time through DataViews beats a native copy call for short runs.
      if (src !== this.source) {
        this.source = src;
        this.sourceView = viewOf(src);
      }
      const from = this.sourceView;
      const to = this.view;
      const buf = this.buf;
      let p = this.pos;
      let i = start;
      for (; i + 4 <= end; i += 4, p += 4) to.setUint32(p, from.getUint32(i));
      for (; i < end; i++) buf[p++] = src[i]!;
    } else this.buf.set(src.subarray(start, end), this.pos);
    this.pos += n;
  }

  /** The bytes so far, as one buffer; the builder starts afresh (the buffers handed out are not reused). */
  take(): Buffer {
    if (this.pos > 0) this.full.push(this.buf.subarray(0, this.pos));
    const out = this.full.length === 1 ? this.full[0]! : Buffer.concat(this.full);
    this.full = [];
    this.fullBytes = 0;
    this.buf = this.buf.subarray(this.pos);
    this.pos = 0;
    if (this.buf.length < 1 << 16) this.buf = Buffer.allocUnsafe(ByteBuilder.SIZE);
    this.view = viewOf(this.buf);
    return out;
  }
}
