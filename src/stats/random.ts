/**
 * Seeded random numbers for resampling: the Mersenne Twister MT19937 (Matsumoto & Nishimura, 1998),
 * from @stdlib, the generator R also uses by default. The same seed gives the same resamples on
 * every machine. (R's own bootstrap draws differ: R maps the stream to indices differently.)
 */
import type mt19937Type from '@stdlib/random-base-mt19937';
// The package through the bundle in ./vendor/mt19937.ts (one module, not ~300 files).
import { mt19937 as bundled } from './vendor/mt19937.js';

const mt19937 = bundled as typeof mt19937Type;

export interface Rng {
  /** A uniform integer in [0, n). */
  index(n: number): number;
}

export function seededRng(seed: number): Rng {
  const gen = mt19937.factory({ seed: seed >>> 0 || 1 });
  return {
    // Lemire-free rejection sampling on 32-bit draws: unbiased for any n ≤ 2^32.
    index(n: number): number {
      const limit = Math.floor(4294967296 / n) * n;
      let x: number;
      do x = gen(); while (x >= limit);
      return x % n;
    },
  };
}
