/**
 * Seeded random numbers for resampling: the Mersenne Twister MT19937 (Matsumoto & Nishimura, 1998),
 * from pure-rand, the generator R also uses by default. The same seed gives the same resamples on
 * every machine. (R's own bootstrap draws differ: R maps the stream to indices differently.)
 */
import { mersenne } from 'pure-rand/generator/mersenne';

export interface Rng {
  /** A uniform integer in [0, n). */
  index(n: number): number;
}

export function seededRng(seed: number): Rng {
  const gen = mersenne((seed >>> 0) || 1);
  return {
    // Rejection sampling on 32-bit draws: unbiased for any n ≤ 2^32.
    index(n: number): number {
      const limit = Math.floor(4294967296 / n) * n;
      let x: number;
      do x = gen.next() >>> 0; while (x >= limit);
      return x % n;
    },
  };
}
