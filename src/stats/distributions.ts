/**
 * Quantiles of the F and t distributions, from @stdlib (they match R's qf/qt to about 1e-15),
 * through the bundle in ./vendor/quantiles.ts (one module of ~0.2 MB instead of ~400 small files:
 * a few tens of ms to load instead of ~0.1 s each). `score` never imports this module.
 */
import { fQuantile as f, tQuantile as t } from './vendor/quantiles.js';

type Quantile2 = (p: number, d1: number, d2: number) => number;
type Quantile1 = (p: number, df: number) => number;

/** R's qf(p, df1, df2). */
export const fQuantile: Quantile2 = f as Quantile2;

/** R's qt(p, df). */
export const tQuantile: Quantile1 = t as Quantile1;
