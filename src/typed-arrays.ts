/** Growing typed arrays, for the readers and tables that fill them a row at a time. Pure. */

/**
 * A copy of `a` with room for at least `size` elements: at least twice as long, so that filling
 * an array one element at a time costs a constant number of copies per element on average.
 */
export function grown<T extends Int32Array | Uint8Array | Float64Array>(a: T, size: number): T {
  const x = new (a.constructor as new (n: number) => T)(Math.max(size, 2 * a.length));
  x.set(a);
  return x;
}
