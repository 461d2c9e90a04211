/**
 * Within- and between-client reliability of one scale (and group) from what the pass collected:
 * the complete-case covariance of the moments and the clients' sums of complete rows
 * (src/reliability/clusters.ts). α_W, α_B from the two-level saturated model (Lai, 2021, eqs. 25,
 * 24); ω_W, ω_B from the two-level one-factor model (Geldhof, Preacher & Zyphur, 2014; Lai, 2021,
 * eqs. 8, 7). Both fitted by ML as lavaan 0.6.14 fits them (src/stats/twolevel.ts). Pure.
 */
import { alphaBetween, alphaWithin, fitOneFactor, fitSaturated, omegaLevel, smallestEigenvalue, twoLevelStats } from '../stats/twolevel.js';
import type { ClientSums } from './clusters.js';

export interface MultilevelReliability {
  /** Clients with at least one complete row on the scale, and those rows. */
  clients: number;
  rows: number;
  meanRowsPerClient: number;
  /** ñ, the harmonic mean of the clients' numbers of rows (α_B's denominator uses it). */
  harmonicRowsPerClient: number;
  alphaWithin: number;
  alphaBetween: number;
  omegaWithin: number;
  omegaBetween: number;
  /** The fits behind the numbers (absent when none was made; see reason). */
  saturated?: { converged: boolean; iterations: number; maxGradient: number; logLikelihood: number; smallestEigenvalueBetween: number };
  oneFactor?: {
    converged: boolean;
    iterations: number;
    maxGradient: number;
    logLikelihood: number;
    within: { lambda: number[]; theta: number[]; psi: number };
    between: { lambda: number[]; theta: number[]; psi: number };
  };
  /** Why the two-level coefficients are not given (every client has one row, too few clients, …). */
  reason?: string;
}

export interface MultilevelWarning {
  code: 'NESTED_ROWS' | 'MULTILEVEL_NOT_CONVERGED' | 'MULTILEVEL_HEYWOOD' | 'BETWEEN_NOT_PSD';
  message: string;
}

const NAN = Number.NaN;

/**
 * The two-level coefficients of complete rows: `complete` is the moments' complete-case covariance
 * (divisor n) and its n; `sums` holds the same rows, summed per client after the same shift.
 */
export function multilevelReliability(complete: { cov: number[][]; n: number }, sums: ClientSums | undefined): MultilevelReliability {
  const J = sums?.clients ?? 0;
  const N = complete.n;
  const base = { clients: J, rows: N, meanRowsPerClient: J > 0 ? N / J : NAN, harmonicRowsPerClient: NAN, alphaWithin: NAN, alphaBetween: NAN, omegaWithin: NAN, omegaBetween: NAN };
  if (!sums || J === 0 || N === 0) return { ...base, reason: 'no complete rows' };
  const k = sums.k;
  const counts = sums.counts.subarray(0, J);
  let rows = 0;
  for (const c of counts) rows += c;
  if (rows !== N) throw new Error(`internal: ${rows} rows in the clients' sums, ${N} complete rows in the moments`);
  const harmonic = J / counts.reduce((s, c) => s + 1 / c, 0);
  const withBase = { ...base, harmonicRowsPerClient: harmonic };
  if (N === J) return { ...withBase, reason: 'every client has one complete row: there is no within-client variation' };
  if (k < 2) return { ...withBase, reason: 'a scale of one item has no internal consistency' };
  if (J <= k) return { ...withBase, reason: `only ${J} clients for ${k} items: the between-client covariance cannot be estimated` };
  if (N - J <= k) return { ...withBase, reason: `only ${N - J} within-client degrees of freedom for ${k} items` };
  // Σ (y − c)(y − c)′ over the rows = n·C + (Σ s)(Σ s)′/n, with s the clients' shifted sums.
  const total = new Float64Array(k);
  for (let j = 0; j < J; j++) for (let a = 0; a < k; a++) total[a]! += sums.sums[j * k + a]!;
  const cross = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = 0; b <= a; b++) cross[a * k + b] = N * complete.cov[a]![b]! + (total[a]! * total[b]!) / N;
  const stats = twoLevelStats(k, sums.sums.subarray(0, J * k), counts, cross, new Float64Array(k));
  const sat = fitSaturated(stats);
  const result: MultilevelReliability = {
    ...withBase,
    alphaWithin: alphaWithin(sat.sigmaWithin),
    alphaBetween: alphaBetween(sat.sigmaWithin, sat.sigmaBetween, harmonic),
    saturated: { converged: sat.converged, iterations: sat.iterations, maxGradient: sat.maxGradient, logLikelihood: sat.logLikelihood, smallestEigenvalueBetween: smallestEigenvalue(sat.sigmaBetween) },
  };
  if (k >= 3) {
    const one = fitOneFactor(stats, { within: sat.sigmaWithin, between: sat.sigmaBetween, converged: sat.converged });
    result.omegaWithin = omegaLevel(one.within);
    result.omegaBetween = omegaLevel(one.between);
    result.oneFactor = { converged: one.converged, iterations: one.iterations, maxGradient: one.maxGradient, logLikelihood: one.logLikelihood, within: one.within, between: one.between };
  }
  return result;
}

/** What a researcher must be told with the two-level numbers (and the pooled ones). */
export function multilevelWarnings(m: MultilevelReliability, clientColumn: string, boot: boolean): MultilevelWarning[] {
  const out: MultilevelWarning[] = [];
  if (m.rows > m.clients && m.clients > 0) {
    out.push({
      code: 'NESTED_ROWS',
      message: `rows are nested in clients (${m.rows} complete rows from ${m.clients} clients of ${clientColumn}, ${m.meanRowsPerClient.toFixed(1)} each on average): alpha and omega pool within- and between-client consistency, and the Feldt and Duhachek intervals assume independent rows, so they are too narrow; report alpha_within and alpha_between${boot ? ', and the bootstrap interval (it resamples clients)' : ', or use --boot (it resamples clients)'}`,
    });
  }
  if (m.saturated && !m.saturated.converged) out.push({ code: 'MULTILEVEL_NOT_CONVERGED', message: `the two-level saturated model did not converge (largest gradient ${m.saturated.maxGradient.toExponential(1)}): alpha_within and alpha_between are not trustworthy` });
  if (m.oneFactor && !m.oneFactor.converged) out.push({ code: 'MULTILEVEL_NOT_CONVERGED', message: `the two-level one-factor model did not converge (largest gradient ${m.oneFactor.maxGradient.toExponential(1)}): omega_within and omega_between are not trustworthy` });
  if (m.saturated && m.saturated.smallestEigenvalueBetween < 0) {
    out.push({ code: 'BETWEEN_NOT_PSD', message: `the between-client covariance matrix is not positive semi-definite at the ML solution (smallest eigenvalue ${m.saturated.smallestEigenvalueBetween.toPrecision(2)}): the clients' mean differences are too small or too few to estimate it well, so alpha_between is imprecise${m.alphaBetween < 0 || m.alphaBetween > 1 ? ` (here ${m.alphaBetween.toFixed(3)}, outside 0–1)` : ''}` });
  }
  if (m.oneFactor) {
    for (const [level, f, omega] of [['within', m.oneFactor.within, m.omegaWithin], ['between', m.oneFactor.between, m.omegaBetween]] as const) {
      const negative = f.theta.filter((t) => t < 0).length;
      if (negative > 0 || f.psi < 0 || omega > 1 || omega < 0) {
        const what = [negative > 0 ? `${negative} negative residual variance${negative > 1 ? 's' : ''}` : '', f.psi < 0 ? `a negative factor variance (${f.psi.toPrecision(2)})` : '', omega > 1 || omega < 0 ? `omega ${omega.toFixed(3)} outside 0–1` : ''].filter(Boolean).join(', ');
        out.push({ code: 'MULTILEVEL_HEYWOOD', message: `Heywood case in the ${level}-client level of the two-level one-factor model (${what}): omega_${level} is not trustworthy` });
      }
    }
  }
  return out;
}
