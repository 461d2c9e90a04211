/** Renderings of the alliance → next-session outcome model: the coefficient table (CSV, Markdown), JSON, and a sentence for a paper. Pure. */
import { LINK_TERMS, type LinkResult } from '../trajectory/link.js';
import { renderRecordsCsv } from './reliability.js';

export interface LinkView {
  predictor: string;
  outcome: string;
  result: LinkResult;
}

export const LINK_COLUMNS = ['term', 'estimate', 'se', 't'] as const;

export function linkFormula(v: LinkView): string {
  return `${v.outcome}(s+1) ~ ${v.predictor}_within(s) + ${v.predictor}_between + ${v.outcome}(s) + s + (1 | client)${v.result.therapists !== null ? ' + (1 | therapist)' : ''}, REML`;
}

export function linkRows(v: LinkView): Array<Record<string, string | number>> {
  const f = v.result.fit;
  return LINK_TERMS.map((term, j) => ({ term, estimate: f.beta[j]!, se: f.se[j]!, t: f.beta[j]! / f.se[j]! }));
}

export const renderLinkCsv = (v: LinkView, digits?: number, escape = true): Uint8Array => renderRecordsCsv(linkRows(v), LINK_COLUMNS, digits, escape);

const r3 = (x: number): string => x.toFixed(3);

/** The result in a sentence a paper can quote. */
export function linkSentence(v: LinkView): string {
  const f = v.result.fit;
  const [w, b] = [1, 2];
  const design = v.result.detrend ? 'its own linear trend' : 'its own mean';
  return `Within clients, a session in which ${v.predictor} was 1 point above ${design} was followed by ${v.outcome} ${r3(f.beta[w]!)} points ${f.beta[w]! >= 0 ? 'higher' : 'lower'} at the next session (SE ${r3(f.se[w]!)}, t = ${(f.beta[w]! / f.se[w]!).toFixed(2)}); between clients, a 1-point higher mean ${v.predictor} went with a ${r3(Math.abs(f.beta[b]!))}-point ${f.beta[b]! >= 0 ? 'higher' : 'lower'} next-session ${v.outcome} (SE ${r3(f.se[b]!)}, t = ${(f.beta[b]! / f.se[b]!).toFixed(2)}), adjusting for the current ${v.outcome} and the session number (linear mixed model fitted by REML with random intercepts for clients${v.result.therapists !== null ? ' and therapists' : ''}; ${v.result.clients} clients, ${v.result.pairs} session pairs).`;
}

export function linkObject(v: LinkView): Record<string, unknown> {
  const f = v.result.fit;
  return {
    model: linkFormula(v),
    predictor: v.predictor,
    outcome: v.outcome,
    detrend: v.result.detrend,
    coefficients: linkRows(v),
    variance: { client: f.cov1[0]![0], ...(v.result.therapists !== null ? { therapist: f.var2 } : {}), residual: f.sigma2 },
    n: { clients: v.result.clients, ...(v.result.therapists !== null ? { therapists: v.result.therapists } : {}), pairs: v.result.pairs },
    remlcrit: f.remlcrit,
    singular: f.singular,
    converged: f.converged,
    sentence: linkSentence(v),
  };
}

export const renderLinkJson = (v: LinkView, input: string): string => `${JSON.stringify({ input, ...linkObject(v) }, null, 2)}\n`;
