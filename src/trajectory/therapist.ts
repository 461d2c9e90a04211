/**
 * Therapist effects: the intraclass correlation of clients' mean scores within therapists from a
 * random-intercept model y_ij = μ + u_j + e_ij fitted by REML, as lme4::lmer(y ~ 1 + (1 | therapist)).
 * Pure.
 *
 * With γ = τ²/σ² and w_j = n_j / (1 + n_j γ), the REML log-likelihood profiled over μ and σ² is
 *   ℓ(γ) = −½[(N − 1) log(Q/(N − 1)) + Σ log(1 + n_j γ) + log Σ w_j]  (+ const),
 *   Q(γ) = Σ_ij (y_ij − ȳ_j)² + Σ_j w_j (ȳ_j − μ̂)²,  μ̂ = Σ w_j ȳ_j / Σ w_j,  σ̂² = Q/(N − 1)
 * (Searle, Casella & McCulloch, 1992, ch. 6). ℓ is maximised over γ ≥ 0 by a log-scale grid and
 * golden-section refinement; γ = 0 (a singular fit in lme4's words) is allowed.
 */

export interface IccResult {
  icc: number;
  varTherapist: number;
  varResidual: number;
  groups: number;
  n: number;
}

interface Group {
  n: number;
  mean: number;
  ssw: number;
}

function profile(groups: readonly Group[], n: number, gamma: number): { ll: number; q: number } {
  let sw = 0;
  let swy = 0;
  let logs = 0;
  let ssw = 0;
  for (const g of groups) {
    const w = g.n / (1 + g.n * gamma);
    sw += w;
    swy += w * g.mean;
    logs += Math.log(1 + g.n * gamma);
    ssw += g.ssw;
  }
  const mu = swy / sw;
  let q = ssw;
  for (const g of groups) q += (g.n / (1 + g.n * gamma)) * (g.mean - mu) ** 2;
  return { ll: -0.5 * ((n - 1) * Math.log(q / (n - 1)) + logs + Math.log(sw)), q };
}

/** ICC of `values` grouped by `groups`; null when it cannot be estimated (fewer than 2 groups, or one value per group). */
export function therapistIcc(values: readonly number[], groupLabels: readonly string[]): IccResult | null {
  const byGroup = new Map<string, number[]>();
  values.forEach((v, i) => {
    const list = byGroup.get(groupLabels[i]!);
    if (list) list.push(v);
    else byGroup.set(groupLabels[i]!, [v]);
  });
  const n = values.length;
  if (byGroup.size < 2 || byGroup.size >= n) return null;
  const groups: Group[] = [...byGroup.values()].map((ys) => {
    const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
    return { n: ys.length, mean, ssw: ys.reduce((a, b) => a + (b - mean) ** 2, 0) };
  });
  // Grid over log γ, then golden-section search on the best bracket.
  let best = { x: Number.NEGATIVE_INFINITY, ll: profile(groups, n, 0).ll };
  const grid: number[] = [];
  for (let e = -12; e <= 6; e += 0.25) grid.push(e);
  let bestIndex = -1;
  grid.forEach((e, i) => {
    const ll = profile(groups, n, 10 ** e).ll;
    if (ll > best.ll) {
      best = { x: e, ll };
      bestIndex = i;
    }
  });
  let gamma = 0;
  if (bestIndex >= 0) {
    let lo = grid[Math.max(0, bestIndex - 1)]!;
    let hi = grid[Math.min(grid.length - 1, bestIndex + 1)]!;
    const phi = (Math.sqrt(5) - 1) / 2;
    let a = hi - phi * (hi - lo);
    let b = lo + phi * (hi - lo);
    let fa = profile(groups, n, 10 ** a).ll;
    let fb = profile(groups, n, 10 ** b).ll;
    for (let it = 0; it < 200 && hi - lo > 1e-12; it++) {
      if (fa > fb) {
        hi = b;
        b = a;
        fb = fa;
        a = hi - phi * (hi - lo);
        fa = profile(groups, n, 10 ** a).ll;
      } else {
        lo = a;
        a = b;
        fa = fb;
        b = lo + phi * (hi - lo);
        fb = profile(groups, n, 10 ** b).ll;
      }
    }
    gamma = 10 ** ((lo + hi) / 2);
  }
  const { q } = profile(groups, n, gamma);
  const varResidual = q / (n - 1);
  const varTherapist = gamma * varResidual;
  return { icc: varTherapist / (varTherapist + varResidual), varTherapist, varResidual, groups: groups.length, n };
}
