/**
 * Expected treatment response (ETR): how a client with a given intake score is expected to move,
 * from the clients' own course (Finch, Lambert & Schaalje, 2001; Lutz et al., 2006), as the linear
 * mixed model
 *   score ~ log(t) · intake + (1 + log(t) | client),  REML,
 * fitted to every administration after intake. t = session − s0 + 1, where s0 is the session of the
 * client's first valid score and intake that score (so t = 1 at intake); log is natural. The fit is
 * src/stats/lmm.ts (as lme4::lmer). A client's expected score at t is the fixed part at their
 * intake; the band is one-sided, z · √(Var(u₀ + u₁ log t) + σ²) with z = 1.2816 by default (the
 * worst 10 %). An administration is off track when its score is worse than expected by more than the
 * band. A model can be saved and applied to later data (fitted on last year's closed cases). Pure.
 */
import { fitMixed, type MixedData } from '../stats/lmm.js';
import type { SeriesSet } from './series.js';

export const ETR_Z = 1.2816;
/** The fewest clients with a score after intake that the model is fitted to. */
export const ETR_MIN_CLIENTS = 10;
export const ETR_FORMULA = 'score ~ log(t) * intake + (1 + log(t) | client), REML';

export interface EtrModel {
  /** instrument/scale, or the score column. */
  measure: string;
  higherIsBetter: boolean;
  fixed: { intercept: number; log_t: number; intake: number; log_t_intake: number };
  varIntercept: number;
  varSlope: number;
  cov: number;
  varResidual: number;
  nClients: number;
  nObs: number;
  /** Fitted on these data, or read from a model file (its name). */
  source: 'fitted' | 'file';
  file?: string;
  /** From the fit (not kept in a model file): standard errors, REML criterion, θ. */
  fit?: { se: number[]; remlcrit: number; theta: number[] };
}

/** The model's rows: every valid score after intake, with t and intake, grouped by client. */
export function etrData(series: SeriesSet): MixedData {
  const y: number[] = [];
  const X: number[] = [];
  const z: number[] = [];
  const group: number[] = [];
  let groups = 0;
  for (let i = 0; i + 1 < series.start.length; i++) {
    const from = series.start[i]!;
    const to = series.start[i + 1]!;
    if (to - from < 2) continue;
    const s0 = series.session[from]!;
    const intake = series.score[from]!;
    for (let k = from + 1; k < to; k++) {
      const lt = Math.log(series.session[k]! - s0 + 1);
      y.push(series.score[k]!);
      X.push(1, lt, intake, lt * intake);
      z.push(lt);
      group.push(groups);
    }
    groups++;
  }
  return { n: y.length, p: 4, y, X, slope: z, group, groups };
}

/** The fitted model, or why there is none (too few clients or sessions, or a singular fit). */
export function fitEtr(series: SeriesSet, measure: string, higherIsBetter: boolean): { model: EtrModel } | { failure: string } {
  const data = etrData(series);
  if (data.groups < ETR_MIN_CLIENTS) return { failure: `only ${data.groups} client(s) have a score after intake; the model needs at least ${ETR_MIN_CLIENTS}` };
  if (data.n <= 2 * data.groups) return { failure: `${data.n} scores after intake from ${data.groups} clients are too few for a random intercept and slope per client (more than ${2 * data.groups} are needed)` };
  const fit = fitMixed(data);
  if (fit.singular) {
    return { failure: `the fit is singular (the clients' intercepts and slopes do not vary independently: θ = ${fit.theta.map((t) => t.toPrecision(3)).join(', ')}), so the expected band would be a guess` };
  }
  if (!fit.converged) return { failure: 'the REML fit did not converge' };
  const [intercept, logT, intake, logTIntake] = fit.beta as [number, number, number, number];
  return {
    model: {
      measure,
      higherIsBetter,
      fixed: { intercept, log_t: logT, intake, log_t_intake: logTIntake },
      varIntercept: fit.cov1[0]![0]!,
      varSlope: fit.cov1[1]![1]!,
      cov: fit.cov1[0]![1]!,
      varResidual: fit.sigma2,
      nClients: data.groups,
      nObs: data.n,
      source: 'fitted',
      fit: { se: fit.se, remlcrit: fit.remlcrit, theta: [...fit.theta] },
    },
  };
}

/** The expected score at t for a client with this intake. */
export function expectedScore(m: EtrModel, intake: number, t: number): number {
  const lt = Math.log(t);
  const f = m.fixed;
  return f.intercept + f.log_t * lt + f.intake * intake + f.log_t_intake * lt * intake;
}

/** The one-sided band's width at t: z · √(Var(u₀ + u₁ log t) + σ²). */
export function bandWidth(m: EtrModel, t: number, z: number): number {
  const lt = Math.log(t);
  return z * Math.sqrt(m.varIntercept + 2 * m.cov * lt + m.varSlope * lt * lt + m.varResidual);
}

/** How far a score is past the band in the worse direction (> 0: off track). */
export function beyondBand(m: EtrModel, score: number, expected: number, band: number): number {
  return m.higherIsBetter ? expected - band - score : score - (expected + band);
}

/** The model file: the models rapport fitted, to apply to later data with --expected. */
export function renderEtrModels(models: readonly EtrModel[], meta: { version: string; input: string }): string {
  return `${JSON.stringify(
    {
      rapport: 'expected-treatment-response',
      format: 1,
      formula: ETR_FORMULA,
      made_by: `rapport ${meta.version}`,
      fitted_on: meta.input,
      models: models.map((m) => ({
        measure: m.measure,
        higher_is_better: m.higherIsBetter,
        fixed: m.fixed,
        var_intercept: m.varIntercept,
        var_slope: m.varSlope,
        cov: m.cov,
        var_residual: m.varResidual,
        n_clients: m.nClients,
        n_obs: m.nObs,
      })),
    },
    null,
    2,
  )}\n`;
}

/** The models of a model file, checked: what is wrong is said with its JSON path. */
export function parseEtrModels(value: unknown, file: string): EtrModel[] | { path: string; message: string } {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  if (!isObj(value) || value.rapport !== 'expected-treatment-response') return { path: '$', message: 'not a model file written by rapport --save-expected ("rapport": "expected-treatment-response")' };
  if (value.format !== 1) return { path: '$.format', message: `format ${JSON.stringify(value.format)} is not one this rapport reads (1)` };
  if (!Array.isArray(value.models) || value.models.length === 0) return { path: '$.models', message: 'must be a non-empty list of models' };
  const out: EtrModel[] = [];
  for (const [i, m] of value.models.entries()) {
    const at = `$.models[${i}]`;
    if (!isObj(m)) return { path: at, message: 'must be an object' };
    if (typeof m.measure !== 'string' || m.measure === '') return { path: `${at}.measure`, message: 'must name the measure (instrument/scale)' };
    if (typeof m.higher_is_better !== 'boolean') return { path: `${at}.higher_is_better`, message: 'must be true or false' };
    const f = m.fixed;
    if (!isObj(f) || !['intercept', 'log_t', 'intake', 'log_t_intake'].every((k) => num(f[k]))) return { path: `${at}.fixed`, message: 'must hold the numbers intercept, log_t, intake and log_t_intake' };
    for (const k of ['var_intercept', 'var_slope', 'cov', 'var_residual', 'n_clients', 'n_obs']) if (!num(m[k])) return { path: `${at}.${k}`, message: 'must be a number' };
    const [vi, vs, c, vr] = [m.var_intercept, m.var_slope, m.cov, m.var_residual] as number[];
    if (vi! < 0 || vs! < 0 || !(vr! > 0) || c! * c! > vi! * vs! * (1 + 1e-12)) return { path: at, message: 'the variances must be a valid covariance matrix (variances ≥ 0, residual > 0, |cov| ≤ √(var_intercept · var_slope))' };
    out.push({
      measure: m.measure,
      higherIsBetter: m.higher_is_better,
      fixed: { intercept: f.intercept as number, log_t: f.log_t as number, intake: f.intake as number, log_t_intake: f.log_t_intake as number },
      varIntercept: vi!,
      varSlope: vs!,
      cov: c!,
      varResidual: vr!,
      nClients: m.n_clients as number,
      nObs: m.n_obs as number,
      source: 'file',
      file,
    });
  }
  return out;
}
