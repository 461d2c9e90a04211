/**
 * Quantiles of the F and t distributions, from @stdlib (they match R's qf/qt to about 1e-15; jstat's
 * were off by about 1e-9).
 */
import fQuantileStdlib from '@stdlib/stats-base-dists-f-quantile';
import tQuantileStdlib from '@stdlib/stats-base-dists-t-quantile';

/** R's qf(p, df1, df2). */
export const fQuantile = (p: number, df1: number, df2: number): number => fQuantileStdlib(p, df1, df2);

/** R's qt(p, df). */
export const tQuantile = (p: number, df: number): number => tQuantileStdlib(p, df);
