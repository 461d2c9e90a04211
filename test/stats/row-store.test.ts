/** RowStore: rows appended one at a time come back as given, across its chunks, in both kinds of store. */
import { describe, expect, it } from 'vitest';
import { RowStore, type RowKind } from '../../src/stats/item-matrix.js';

describe('RowStore', () => {
  it('keeps a 1–7 scale in half-bytes, 0–100 in bytes, a continuous or negative one in doubles', () => {
    expect(RowStore.kindFor({ min: 1, max: 7 })).toBe('nibble');
    expect(RowStore.kindFor({ min: 0, max: 14 })).toBe('nibble');
    expect(RowStore.kindFor({ min: 0, max: 15 })).toBe('byte');
    expect(RowStore.kindFor({ min: 0, max: 100 })).toBe('byte');
    expect(RowStore.kindFor({ min: 0, max: 10, continuous: true })).toBe('double');
    expect(RowStore.kindFor({ min: -3, max: 3 })).toBe('double');
    expect(RowStore.kindFor({ min: 0, max: 1000 })).toBe('double');
  });
  for (const [kind, top] of [['nibble', 14], ['byte', 254], ['double', 1e6]] as Array<[RowKind, number]>) {
    it(`${kind}: 200,000 rows (past the first chunks) read back as written, missing as NaN`, () => {
      const cols = 3;
      const store = new RowStore(cols, kind);
      const value = (r: number, j: number) => ((r * 7 + j * 3) % 11 === 0 ? Number.NaN : (r * 13 + j) % (top + 1));
      const values = new Float64Array(cols * 2);
      const at = Int32Array.from([1, 0, 2]);
      for (let r = 0; r < 200_000; r++) {
        if (r % 2 === 0) store.push([value(r, 0), value(r, 1), value(r, 2)]);
        else {
          // pushValues picks the items out of a wider row, at an offset.
          values[cols + 1] = value(r, 0);
          values[cols] = value(r, 1);
          values[cols + 2] = value(r, 2);
          store.pushValues(values, at, cols);
        }
      }
      expect(store.rows).toBe(200_000);
      for (const r of [0, 1, 1023, 1024, 1025, 65_535, 65_536, 65_537, 131_072, 199_999]) {
        expect([...store.row(r)]).toEqual([value(r, 0), value(r, 1), value(r, 2)]);
        expect(store.get(r, 2)).toEqual(value(r, 2));
      }
    });
  }
});
