/**
 * The @stdlib bundles (src/stats/vendor/quantiles.ts, mt19937.ts): committed as
 * src/stats/vendor/bundle.mjs makes them, and giving what the packages give, bit for bit.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fQuantile, tQuantile } from '../../src/stats/vendor/quantiles.js';
import { mt19937 } from '../../src/stats/vendor/mt19937.js';
// @ts-expect-error: a plain JavaScript build script without type declarations
import { BUNDLES, bundleStdlib } from '../../src/stats/vendor/bundle.mjs';

const require = createRequire(import.meta.url);

describe('the @stdlib bundles', () => {
  it('are committed as bundle.mjs makes them (run npm run generate after updating @stdlib)', async () => {
    expect(Object.keys(BUNDLES as object)).toEqual(['quantiles', 'mt19937']);
    for (const name of ['quantiles', 'mt19937']) {
      const committed = readFileSync(new URL(`../../src/stats/vendor/${name}.ts`, import.meta.url), 'utf8');
      expect(committed === (await bundleStdlib(name)), name).toBe(true);
    }
  }, 60_000);

  it('gives the packages’ F and t quantiles bit for bit', () => {
    const f = require('@stdlib/stats-base-dists-f-quantile') as (p: number, a: number, b: number) => number;
    const t = require('@stdlib/stats-base-dists-t-quantile') as (p: number, df: number) => number;
    const p = fc.double({ min: 0, max: 1, noNaN: true });
    const df = fc.double({ min: 0.5, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(p, df, df, (q, a, b) => {
        expect(Object.is(fQuantile(q, a, b), f(q, a, b))).toBe(true);
        expect(Object.is(tQuantile(q, a), t(q, a))).toBe(true);
      }),
      { numRuns: 500 },
    );
    // R: qf(0.975, 3, 1000) = 3.129175, qt(0.975, 10) = 2.228139.
    expect(fQuantile(0.975, 3, 1000)).toBeCloseTo(3.129175, 6);
    expect(tQuantile(0.975, 10)).toBeCloseTo(2.228139, 6);
  });

  it('gives the package’s Mersenne Twister streams', () => {
    const m = require('@stdlib/random-base-mt19937') as { factory(o: { seed: number }): () => number };
    for (const seed of [1, 42, 20261122, 4294967295]) {
      const a = (mt19937 as typeof m).factory({ seed });
      const b = m.factory({ seed });
      for (let i = 0; i < 2000; i++) expect(a()).toBe(b());
    }
  });
});
