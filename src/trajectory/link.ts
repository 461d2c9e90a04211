/**
 * The alliance → next-session outcome model, within and between clients (Falkenström, Finkel,
 * Sandell, Rubel & Holmqvist, 2017; Zilcha-Mano, 2017): for each client's consecutive sessions s, s+1,
 *   Y(s+1) ~ P_within(s) + P_between + Y(s) + s + (1 | client) [+ (1 | therapist)],  REML,
 * where P_between is the client's mean of P over all their valid scores and P_within(s) = P(s) −
 * P_between, or, with detrending, the residual at s of the client's own OLS line of P on session
 * (Falkenström et al., 2017; a client with fewer than 3 P scores is centred instead). A pair needs
 * a row at session s + 1 exactly (a skipped session number breaks it) and valid P(s), Y(s), Y(s+1).
 * The fit is src/stats/lmm.ts; checked against lme4 on fixtures/link. Pure.
 */
import { fitMixed, type MixedFit } from '../stats/lmm.js';
import { olsSlope, type SeriesSet } from './series.js';

export const LINK_TERMS = ['intercept', 'predictor_within', 'predictor_between', 'outcome_lag', 'session'] as const;

export interface LinkPair {
  client: string;
  therapist: string;
  session: number;
  yNext: number;
  pWithin: number;
  pBetween: number;
  yLag: number;
}

/** The model's rows from the two measures' series (the same clients in the same order). */
export function linkPairs(p: SeriesSet, y: SeriesSet, detrend: boolean): LinkPair[] {
  const pairs: LinkPair[] = [];
  for (let i = 0; i < p.client.length; i++) {
    const pFrom = p.start[i]!;
    const pTo = p.start[i + 1]!;
    if (pTo === pFrom) continue;
    const ps = p.session.subarray(pFrom, pTo);
    const pv = p.score.subarray(pFrom, pTo);
    let sum = 0;
    for (let k = 0; k < pv.length; k++) sum += pv[k]!;
    const between = sum / pv.length;
    // The client's own line of P on session (detrending), where it has 3 or more points.
    let line: ((s: number) => number) | undefined;
    if (detrend && pv.length >= 3) {
      const slope = olsSlope(ps, pv);
      let ms = 0;
      for (let k = 0; k < ps.length; k++) ms += ps[k]!;
      ms /= ps.length;
      line = (s) => between + slope * (s - ms);
    }
    const pAt = new Map<number, number>();
    for (let k = 0; k < ps.length; k++) pAt.set(ps[k]!, pv[k]!);
    const yAt = new Map<number, number>();
    for (let k = y.start[i]!; k < y.start[i + 1]!; k++) yAt.set(y.session[k]!, y.score[k]!);
    for (const [s, yLag] of yAt) {
      const yNext = yAt.get(s + 1);
      const ps0 = pAt.get(s);
      if (yNext === undefined || ps0 === undefined) continue;
      pairs.push({ client: p.client[i]!, therapist: p.therapist[i]!, session: s, yNext, pWithin: ps0 - (line ? line(s) : between), pBetween: between, yLag });
    }
  }
  return pairs;
}

export interface LinkResult {
  fit: MixedFit;
  pairs: number;
  clients: number;
  therapists: number | null;
  detrend: boolean;
}

/** The fit, or why there is none. */
export function fitLink(pairs: readonly LinkPair[], opts: { detrend: boolean; therapist: boolean }): LinkResult | { failure: string } {
  const clients = new Map<string, number>();
  const therapists = new Map<string, number>();
  const X: number[] = [];
  const y: number[] = [];
  const group: number[] = [];
  const group2: number[] = [];
  for (const r of pairs) {
    if (!clients.has(r.client)) clients.set(r.client, clients.size);
    if (opts.therapist) {
      if (r.therapist === '') return { failure: `client ${r.client} has no therapist: (1 | therapist) needs one for every client` };
      if (!therapists.has(r.therapist)) therapists.set(r.therapist, therapists.size);
      group2.push(therapists.get(r.therapist)!);
    }
    X.push(1, r.pWithin, r.pBetween, r.yLag, r.session);
    y.push(r.yNext);
    group.push(clients.get(r.client)!);
  }
  if (clients.size < 3) return { failure: `only ${clients.size} client(s) have a pair of consecutive sessions with both measures; the model needs at least 3` };
  if (pairs.length <= clients.size) return { failure: `${pairs.length} session pairs from ${clients.size} clients are too few for a random intercept per client (more pairs than clients are needed)` };
  const fit = fitMixed({ n: y.length, p: 5, y, X, group, groups: clients.size, ...(opts.therapist ? { group2, groups2: therapists.size } : {}) });
  return { fit, pairs: pairs.length, clients: clients.size, therapists: opts.therapist ? therapists.size : null, detrend: opts.detrend };
}
