/**
 * ByteBuilder, the output buffer of `score`: numbers written digit by digit must read exactly as
 * formatNumber writes them, and rows copied four bytes at a time must arrive intact, whatever their
 * length and alignment and across the builder's buffer boundaries.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteBuilder } from '../../src/report/bytes.js';
import { formatNumber } from '../../src/report/format.js';

describe('ByteBuilder.number', () => {
  it('writes what formatNumber writes, for whole numbers, edge cases and fractions', () => {
    const values = [0, -0, 1, 9, 10, 99, 100, 12345, -7, -100, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, 1e21, 0.5, -2.25, 1 / 3, 1e-7, 123456789.125];
    for (const digits of [undefined, 0, 2, 6]) {
      const b = new ByteBuilder();
      for (const v of values) {
        b.number(v, digits);
        b.byte(0x2c);
      }
      expect(b.take().toString('latin1')).toBe(values.map((v) => `${formatNumber(v, digits)},`).join(''));
    }
  });

  it('agrees with formatNumber on any double', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.double({ noNaN: true, noDefaultInfinity: true })), (v) => {
        const b = new ByteBuilder();
        b.number(v, undefined);
        expect(b.take().toString('latin1')).toBe(formatNumber(v));
      }),
    );
  });
});

describe('ByteBuilder.bytes', () => {
  it('copies any range exactly, across buffer boundaries', () => {
    const src = Buffer.alloc(4000);
    for (let i = 0; i < src.length; i++) src[i] = (i * 37 + 11) & 0xff;
    const b = new ByteBuilder();
    const expected: Buffer[] = [];
    let total = 0;
    // ~1.3 MB in ranges of every length 0..700 at every offset mod 4: more than one 1 MB buffer.
    for (let r = 0; total < 1.3e6; r++) {
      const start = (r * 7) % 3000;
      const end = start + (r % 701);
      b.bytes(src, start, end);
      if (r % 5 === 0) b.byte(0x0a);
      expected.push(src.subarray(start, end));
      if (r % 5 === 0) expected.push(Buffer.from('\n'));
      total += end - start;
    }
    expect(b.take().equals(Buffer.concat(expected))).toBe(true);
  });

  it('copies from a new source when the source changes', () => {
    const b = new ByteBuilder();
    b.bytes(Buffer.from('abcdefgh'), 1, 7);
    b.bytes(Buffer.from('12345678').subarray(2), 0, 5);
    expect(b.take().toString()).toBe('bcdefg34567');
  });
});
