/**
 * Quantiles of the F and t distributions, from @stdlib (they match R's qf/qt to about 1e-15).
 * Loaded on first use: the packages take ~0.2 s to load, which `score` never needs.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
type Quantile2 = (p: number, d1: number, d2: number) => number;
type Quantile1 = (p: number, df: number) => number;
let f: Quantile2 | undefined;
let t: Quantile1 | undefined;

/** R's qf(p, df1, df2). */
export function fQuantile(p: number, df1: number, df2: number): number {
  f ??= require('@stdlib/stats-base-dists-f-quantile') as Quantile2;
  return f(p, df1, df2);
}

/** R's qt(p, df). */
export function tQuantile(p: number, df: number): number {
  t ??= require('@stdlib/stats-base-dists-t-quantile') as Quantile1;
  return t(p, df);
}
