/**
 * Nelder–Mead minimisation (Nelder & Mead, 1965) with the standard coefficients (reflection 1,
 * expansion 2, contraction ½, shrink ½) and the ordering and tie rules of Lagarias, Reeds, Wright &
 * Wright (1998, SIAM J. Optim. 9, 112–147). Restarted from its best point until a restart no longer
 * improves it, the usual guard against a collapsed simplex. For the few smooth parameters of a
 * profiled likelihood (a mixed model's relative covariance factor); no npm package offers a
 * maintained minimiser for this (fmin 0.0.4 and optimization-js are unmaintained). Pure.
 */

export interface MinimizeOptions {
  /** Initial step along each coordinate (default 0.1, or 10 % of a non-zero start). */
  step?: number;
  /** Stop when the simplex's values differ by less than this, relative (default 1e-14) … */
  fTol?: number;
  /** … and its vertices by less than this, per coordinate (default 1e-10); … */
  xTol?: number;
  /** … or when the values differ by less than this, relative, wherever the vertices are: f is flat to its own rounding there (default 1e-13). */
  flatTol?: number;
  maxEvaluations?: number;
}

export interface MinimizeResult {
  x: number[];
  value: number;
  evaluations: number;
  converged: boolean;
}

function nelderMead(f: (x: readonly number[]) => number, start: readonly number[], opts: Required<MinimizeOptions>, budget: number): MinimizeResult {
  const n = start.length;
  let evaluations = 0;
  const eval_ = (x: number[]): number => {
    evaluations++;
    const v = f(x);
    return Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
  };
  const simplex: number[][] = [[...start]];
  for (let i = 0; i < n; i++) {
    const v = [...start];
    v[i] = v[i]! !== 0 ? v[i]! * (1 + opts.step) : opts.step;
    simplex.push(v);
  }
  let values = simplex.map(eval_);
  let converged = false;
  while (evaluations < budget) {
    // Order: best first; ties keep the older vertex first (Lagarias et al., rule 1).
    const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
    const s = order.map((i) => simplex[i]!);
    const fv = order.map((i) => values[i]!);
    simplex.splice(0, simplex.length, ...s);
    values = fv;
    const best = values[0]!;
    const worst = values[n]!;
    let spread = 0;
    for (let i = 1; i <= n; i++) for (let j = 0; j < n; j++) spread = Math.max(spread, Math.abs(simplex[i]![j]! - simplex[0]![j]!));
    const scale = Math.max(1, Math.abs(best));
    if ((Math.abs(worst - best) <= opts.fTol * scale && spread <= opts.xTol) || Math.abs(worst - best) <= opts.flatTol * scale) {
      converged = true;
      break;
    }
    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j]! += simplex[i]![j]! / n;
    const along = (t: number) => centroid.map((c, j) => c + t * (simplex[n]![j]! - c));
    const xr = along(-1);
    const fr = eval_(xr);
    if (fr < values[0]!) {
      const xe = along(-2);
      const fe = eval_(xe);
      if (fe < fr) [simplex[n], values[n]] = [xe, fe];
      else [simplex[n], values[n]] = [xr, fr];
      continue;
    }
    if (fr < values[n - 1]!) {
      [simplex[n], values[n]] = [xr, fr];
      continue;
    }
    // Contraction: outside when the reflection improved on the worst, else inside.
    const outside = fr < values[n]!;
    const xc = along(outside ? -0.5 : 0.5);
    const fc = eval_(xc);
    if (outside ? fc <= fr : fc < values[n]!) {
      [simplex[n], values[n]] = [xc, fc];
      continue;
    }
    // Shrink towards the best vertex.
    for (let i = 1; i <= n; i++) {
      simplex[i] = simplex[i]!.map((x, j) => simplex[0]![j]! + 0.5 * (x - simplex[0]![j]!));
      values[i] = eval_(simplex[i]!);
    }
  }
  let b = 0;
  for (let i = 1; i <= n; i++) if (values[i]! < values[b]!) b = i;
  return { x: simplex[b]!, value: values[b]!, evaluations, converged };
}

/** The minimum of f near `start`: Nelder–Mead, restarted from its best point until it stops improving. */
export function minimize(f: (x: readonly number[]) => number, start: readonly number[], options: MinimizeOptions = {}): MinimizeResult {
  const opts: Required<MinimizeOptions> = { step: 0.1, fTol: 1e-14, xTol: 1e-10, flatTol: 1e-13, maxEvaluations: 4000, ...options };
  let result = nelderMead(f, start, opts, opts.maxEvaluations);
  let evaluations = result.evaluations;
  for (let restart = 0; restart < 10 && evaluations < opts.maxEvaluations; restart++) {
    const again = nelderMead(f, result.x, { ...opts, step: Math.max(opts.xTol * 100, 1e-4) }, opts.maxEvaluations - evaluations);
    evaluations += again.evaluations;
    const better = again.value < result.value - opts.fTol * Math.max(1, Math.abs(result.value));
    if (again.value <= result.value) result = again;
    if (!better) break;
  }
  return { ...result, evaluations };
}

